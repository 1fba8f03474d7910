"""The form that answers a hook, generated from its schema, for History and the resume page.

A flat schema (text, numbers, yes/no, a choice, each maybe optional) becomes one field per
attribute; anything else (nested models, lists, mappings) becomes one JSON editor, prefilled
with a skeleton of the answer. Both read back into the payload the hook validates.
"""

from __future__ import annotations

import enum
import importlib
import json
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter

from .errors import HistoryError
from .jsonbody import BadJSON, check_storable, parse_json
from .models import Step

JSON_FIELD = "payload_json"  # the editor's name in the form, for schemas that are not flat
WIDGETS = {str: "text", int: "integer", float: "number", bool: "boolean"}


@dataclass(frozen=True)
class HookField:
    name: str
    value: str
    widget: str = "text"  # text, integer, number, boolean or choice
    required: bool = False
    choices: tuple[str, ...] = ()
    description: str = ""
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class HookForm:
    """The fields of a flat schema, or the JSON editor's text; errors are keyed by field."""

    fields: list[HookField]
    json_text: str | None = None  # set: the answer is edited as JSON
    errors: Mapping[str, list[str]] = field(default_factory=dict)
    json_schema: dict[str, Any] | None = None
    gone: str = ""  # set: the schema no longer imports, and the hook cannot be answered here

    @property
    def form_errors(self) -> list[str]:
        """Errors that belong to no single field: the whole answer, or a nested path."""
        named = {f.name for f in self.fields}
        return [
            f"{path}: {message}" if path != "(body)" else message
            for path, messages in self.errors.items()
            if path not in named
            for message in messages
        ]


class SchemaGone(HistoryError):
    """The hook's schema no longer imports: the deployed code moved or renamed it."""


def hook_schema(step: Step) -> type[BaseModel] | None:
    """The model a hook's answer must match, from the path its step recorded; None for any
    JSON object. Raises SchemaGone when the path no longer imports."""
    path = (step.input or {}).get("schema")
    if not path:
        return None
    module, _, name = path.partition(":")
    try:
        target: Any = importlib.import_module(module)
        for part in name.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError):
        raise SchemaGone(
            f"Hook {step.step_id} expects an answer of {path}, which the deployed code no longer "
            "has: deploy it again to answer, or cancel the run."
        ) from None
    return typing.cast(type[BaseModel], target)


def build_form(
    schema: type[BaseModel] | None,
    values: Mapping[str, str],
    errors: Mapping[str, list[str]] | None = None,
) -> HookForm:
    """The form for ``schema``, showing ``values`` (what was submitted, or a link's query)."""
    errors = dict(errors or {})
    if schema is None:
        # Any JSON object: a link's query, shown as fields to be checked, or else an editor.
        fields = [HookField(name, value) for name, value in values.items() if name != JSON_FIELD]
        if fields:
            return HookForm(fields, errors=errors)
        return HookForm([], json_text=values.get(JSON_FIELD) or "{}", errors=errors)
    if not is_flat(schema):
        text = values.get(JSON_FIELD) or json.dumps(skeleton(schema), indent=2)
        return HookForm([], json_text=text, errors=errors, json_schema=schema.model_json_schema())
    return HookForm(
        [_field(name, info, values, errors) for name, info in schema.model_fields.items()],
        errors=errors,
        json_schema=schema.model_json_schema(),
    )


def read_payload(schema: type[BaseModel] | None, form: Mapping[str, str]) -> dict[str, Any]:
    """The answer a submitted form holds; raises BadJSON for an editor that holds no JSON
    object, or a value that cannot be stored."""
    if JSON_FIELD in form or (schema is not None and not is_flat(schema)):
        # Depth, huge numbers, NaN and NUL are refused by name, as in a JSON body.
        payload = parse_json(
            form.get(JSON_FIELD, "").encode("utf-8", "surrogatepass"), "The answer"
        )
        if not isinstance(payload, dict):
            raise BadJSON("The answer must be a JSON object, {…}.")
    else:
        # A field left empty takes its default.
        payload = {
            name: value
            for name, value in form.items()
            if value != "" and name != "csrfmiddlewaretoken"
        }
    check_storable(payload)  # a NUL cannot be stored
    return payload


def is_flat(schema: type[BaseModel]) -> bool:
    return all(_scalar(info.annotation) is not None for info in schema.model_fields.values())


def skeleton(schema: type[BaseModel]) -> dict[str, Any]:
    """An answer to start from: defaults where there are some, an empty value of the right type
    elsewhere."""
    out: dict[str, Any] = {}
    for name, info in schema.model_fields.items():
        if not info.is_required():
            default = info.get_default(call_default_factory=True)
            out[name] = TypeAdapter(info.annotation or Any).dump_python(default, mode="json")
        else:
            out[name] = _empty(info.annotation)
    return out


def _field(
    name: str, info: Any, values: Mapping[str, str], errors: Mapping[str, list[str]]
) -> HookField:
    kind = _scalar(info.annotation)
    choices: tuple[str, ...] = ()
    if isinstance(kind, tuple):
        widget, choices = "choice", kind
    else:
        widget = WIDGETS.get(kind, "text") if kind is not None else "text"
    default = None if info.is_required() else info.get_default(call_default_factory=True)
    shown = (
        ""
        if default is None
        else _as_form_text(TypeAdapter(info.annotation).dump_python(default, mode="json"))
    )
    return HookField(
        name,
        values.get(name, shown),
        widget,
        info.is_required(),
        choices,
        info.description or "",
        tuple(errors.get(name, ())),
    )


def _scalar(annotation: Any) -> Any:
    """The widget type of a flat field: str, int, float, bool, a tuple of choices, or None
    when it is not flat. Optional[X] is X."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        return _scalar(inner[0]) if len(inner) == 1 else None
    if origin is Literal:
        args = typing.get_args(annotation)
        return tuple(str(a) for a in args) if all(isinstance(a, str) for a in args) else None
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        # A form sends text: only an enum of strings is a choice, the rest are edited as JSON.
        values = [member.value for member in annotation]
        return tuple(values) if all(isinstance(v, str) for v in values) else None
    return annotation if annotation in WIDGETS else None


def _empty(annotation: Any) -> Any:
    origin = typing.get_origin(annotation) or annotation
    if isinstance(origin, type) and issubclass(origin, BaseModel):
        return skeleton(origin)
    if origin in (list, tuple, set, frozenset):
        return []
    if origin is dict:
        return {}
    kind = _scalar(annotation)
    if isinstance(kind, tuple):
        return kind[0] if kind else None
    return {str: "", int: 0, float: 0.0, bool: False}.get(kind)


def _as_form_text(value: Any) -> str:
    """A default as the form shows it: JSON's spelling (true, an enum's value), strings as
    they are."""
    return value if isinstance(value, str) else json.dumps(value)
