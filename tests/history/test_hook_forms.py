"""The hook form's shape follows the schema: fields for a flat one, a JSON editor otherwise."""

from __future__ import annotations

import enum
import json
from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from history.hook_forms import JSON_FIELD, build_form, is_flat, read_payload, skeleton
from history.jsonbody import BadJSON


class Tier(enum.Enum):
    GOLD = "gold"
    SILVER = "silver"


class Flat(BaseModel):
    approved: bool
    amount: int | None = None
    ratio: float = 0.5
    tier: Tier = Tier.SILVER
    mode: Literal["fast", "slow"] = "fast"
    note: str = Field("", description="Why")


class Line(BaseModel):
    sku: str
    quantity: int


class Order(BaseModel):
    customer: str
    lines: list[Line]
    tags: dict[str, str] = {}
    ship: Line | None = None


def test_a_flat_schema_gets_one_typed_field_each() -> None:
    form = build_form(Flat, {}, {"amount": ["Input should be a valid integer"]})
    fields = {f.name: f for f in form.fields}
    assert form.json_text is None and list(fields) == list(Flat.model_fields)
    assert (fields["approved"].widget, fields["approved"].required) == ("boolean", True)
    assert (fields["amount"].widget, fields["amount"].value) == ("integer", "")
    assert fields["amount"].errors == ("Input should be a valid integer",)
    assert (fields["ratio"].widget, fields["ratio"].value) == ("number", "0.5")
    assert (fields["tier"].widget, fields["tier"].choices, fields["tier"].value) == (
        "choice",
        ("gold", "silver"),
        "silver",
    )
    assert fields["mode"].choices == ("fast", "slow") and fields["note"].description == "Why"


def test_a_nested_schema_gets_a_json_editor_with_a_skeleton() -> None:
    assert not is_flat(Order)
    form = build_form(Order, {})
    assert form.fields == [] and form.json_schema is not None
    assert json.loads(form.json_text or "") == {
        "customer": "",
        "lines": [],
        "tags": {},
        "ship": None,
    }
    assert skeleton(Line) == {"sku": "", "quantity": 0}
    assert build_form(Order, {JSON_FIELD: "{"}).json_text == "{", "what was typed stays"


def test_the_editor_must_hold_one_json_object() -> None:
    with pytest.raises(BadJSON, match="not valid JSON"):
        read_payload(Order, {JSON_FIELD: "{"})
    with pytest.raises(BadJSON, match="JSON object"):
        read_payload(Order, {JSON_FIELD: "[1]"})
    assert read_payload(Order, {JSON_FIELD: '{"customer": "Ada"}'}) == {"customer": "Ada"}


def test_errors_of_nested_paths_are_shown_above_the_editor() -> None:
    form = build_form(Order, {}, {"lines.0.quantity": ["Input should be a valid integer"]})
    assert form.form_errors == ["lines.0.quantity: Input should be a valid integer"]


@given(st.text())
def test_any_note_typed_in_a_flat_form_is_the_answer_or_refused_by_name(note: str) -> None:
    form = {"approved": "true", "note": note, "csrfmiddlewaretoken": "x"}
    try:
        payload = read_payload(Flat, form)
    except BadJSON as exc:
        assert "\x00" in note and "NUL" in str(exc)
        return
    answer = Flat.model_validate(payload)
    assert answer.note == note and answer.approved is True


class Level(enum.Enum):
    LOW = 1
    HIGH = 2


class Rated(BaseModel):
    level: Level


def test_an_enum_of_numbers_is_edited_as_json_so_its_values_keep_their_type() -> None:
    assert not is_flat(Rated)
    payload = read_payload(Rated, {JSON_FIELD: '{"level": 2}'})
    assert Rated.model_validate(payload).level is Level.HIGH
