"""The ``where`` clause parser: every string parses or is refused with a ValidationError."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from history.where import OPERATOR_CHARS, ORDERING, ROOTS, Clause, parse, parse_all

KEY = st.text(
    st.characters(blacklist_characters=f".{OPERATOR_CHARS}", blacklist_categories=("Cs", "Cc")),
    min_size=1,
    max_size=12,
).filter(lambda key: key == key.strip() and key != "")
# Any text a clause may hold: a NUL is refused by design (a test below holds that).
TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=20
)
SCALAR = st.one_of(
    TEXT,
    st.integers(min_value=-(2**62), max_value=2**62),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)


@st.composite
def clauses(draw: st.DrawFn) -> Clause:
    op = draw(st.sampled_from(["=", "!=", ">", ">=", "<", "<=", "~"]))
    value = draw(TEXT) if op == "~" else draw(SCALAR)
    if op in ORDERING and (value is None or isinstance(value, bool)):
        value = "text"
    root = draw(st.sampled_from(ROOTS))
    return Clause(root, tuple(draw(st.lists(KEY, min_size=1, max_size=4))), op, value)


@given(st.text(max_size=60))
def test_any_string_parses_or_is_refused_plainly(text: str) -> None:
    try:
        clause = parse(text)
    except ValidationError as exc:
        assert "where=" in exc.messages[0]
    else:
        assert clause.root in ROOTS and clause.keys


@given(st.lists(st.text(max_size=40), max_size=5))
def test_any_list_of_lines_parses_or_is_refused_plainly(texts: list[str]) -> None:
    try:
        parse_all(texts)
    except ValidationError:
        pass


@given(clauses())
def test_a_clause_written_out_parses_back_to_itself(clause: Clause) -> None:
    assert parse(str(clause)) == clause


@pytest.mark.parametrize(
    ("text", "clause"),
    [
        ("input.email=ada@acme.io", Clause("input", ("email",), "=", "ada@acme.io")),
        ("output.score >= 80", Clause("output", ("score",), ">=", 80)),
        ('output.score="80"', Clause("output", ("score",), "=", "80")),
        ("output.ok!=null", Clause("output", ("ok",), "!=", None)),
        ("error.type~Timeout", Clause("error", ("type",), "~", "Timeout")),
        ("error.type~42", Clause("error", ("type",), "~", "42")),
        ("input.items.0.sku=A-1", Clause("input", ("items", "0", "sku"), "=", "A-1")),
        ("input.url=a=b", Clause("input", ("url",), "=", "a=b")),
        ("input.x=-1.5e3", Clause("input", ("x",), "=", -1500.0)),
        ("input.x=007", Clause("input", ("x",), "=", "007")),  # not a JSON number: text
    ],
)
def test_the_grammar(text: str, clause: Clause) -> None:
    assert parse(text) == clause


def test_one_clause_a_line_and_at_most_twenty() -> None:
    assert len(parse_all(["input.a=1\n\n output.b~x \r\n", "error.type=E"])) == 3
    with pytest.raises(ValidationError, match="at most 20"):
        parse_all(["input.a=1"] * 21)


ESCAPED = st.lists(
    st.one_of(st.text(max_size=3), st.integers(0, 0xFFFF).map(lambda code: f"\\u{code:04x}"))
).map(lambda parts: 'input.a="' + "".join(parts) + '"')


@given(ESCAPED)
def test_a_parsed_value_holds_no_nul_nor_lone_surrogate(text: str) -> None:
    try:
        clause = parse(text)
    except ValidationError as exc:
        assert "where=" in exc.messages[0]
    else:
        assert "\x00" not in clause.value
        clause.value.encode("utf-8")  # no lone surrogate
