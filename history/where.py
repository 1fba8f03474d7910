"""Search inside payloads: ``where=input.email=ada@acme.io`` clauses, parsed into run filters.

A clause is ``PATH OPERATOR VALUE``:

* PATH is ``input``, ``output`` or ``error`` and one or more keys after a dot
  (``input.user.email``); a key of digits is an array index (``input.items.0.sku``), and a
  signed one (``-1``, ``+1``) is refused. Keys hold no ``.``, ``=``, ``!``, ``<``, ``>`` or ``~``.
* OPERATOR is the first of those characters: ``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``, ``~``.
* VALUE is the rest, trimmed: a number (``80``, ``-1.5``, ``2e3``), ``true``, ``false``,
  ``null``, a JSON string in double quotes (``"80"`` is text, ``" a "`` keeps its spaces), or
  else the text as written.

``=`` matches the value, or an array holding it; ``!=`` a value that exists and is not it;
``>`` ``>=`` ``<`` ``<=`` numbers numerically and text as text (other types never match);
``~`` the text of the value, case-insensitively (an array or object as its JSON text). A
path that is not there matches nothing.

On PostgreSQL ``=`` is jsonb containment (``@>``), served by the ``jsonb_path_ops`` GIN
indexes ``history_run_input_gin``, ``history_run_output_gin`` and ``history_run_error_gin``; the
other operators filter the rows the other filters and the keyset scan reach. SQLite answers
the same: its ``~`` folds case in Python (``keystroke_lower``, history.apps) and reads true
and false as words; an integer beyond 64 bits is compared there as the float SQLite stored.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import BooleanField, F, Func, Q

from .validation import refused

ROOTS = ("input", "output", "error")
OPERATORS = ("!=", ">=", "<=", "=", ">", "<", "~")
ORDERING = {">": ">", ">=": ">=", "<": "<", "<=": "<="}
OPERATOR_CHARS = "=!<>~"
LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}
# PostgreSQL's ``#>`` reads a key like -1 or +1 as an array index (from the end for -1), SQLite
# and containment as an object key: refused rather than answered two ways.
SIGNED_INDEX = re.compile(r"[+-][0-9]+")
NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
MAX_CLAUSES = 20
MAX_LENGTH = 1000
MAX_KEYS = 32
# A hook token shown to a viewer is masked (history.hook_tokens): text compared for a viewer is
# compared without its long hex runs, or ``~hooks/a``, ``~hooks/ab``… would spell one out.
HEX_RUN = "[0-9a-fA-F]{40,}"
EXAMPLE = "e.g. input.email=ada@acme.io, output.score>=80 or error.type~Timeout"


@dataclass(frozen=True)
class Clause:
    root: str
    keys: tuple[str, ...]
    op: str
    value: Any  # str, int, float, bool or None; always str for ~

    def __str__(self) -> str:
        return f"{'.'.join((self.root, *self.keys))}{self.op}{_show(self.value)}"

    def q(self, vendor: str, mask: bool = False) -> Q:
        """The filter on Run this clause means, for ``vendor``'s SQL."""
        if self.op == "=":
            return _equals(self, vendor)
        if self.op == "!=":
            return Q(_Probe(self, "exists")) & ~_equals(self, vendor)
        return Q(_Probe(self, "compare", mask=mask))


def parse(text: str) -> Clause:
    """One clause, or a ValidationError that names it and says how to write it."""
    if len(text) > MAX_LENGTH:
        raise _bad(text[:40] + "…", f"it is longer than {MAX_LENGTH} characters")
    _check_text(text, text)
    at = next((i for i, char in enumerate(text) if char in OPERATOR_CHARS), -1)
    if at < 0:
        raise _bad(text, "it has no operator: use =, !=, >, >=, <, <= or ~")
    if text.startswith("!", at) and not text.startswith("!=", at):
        raise _bad(text, "! must be followed by = (not equal)")
    op = next(o for o in OPERATORS if text.startswith(o, at))
    path, raw = text[:at].strip(), text[at + len(op) :].strip()
    root, *keys = path.split(".")
    if root not in ROOTS:
        raise _bad(text, f"a path starts with input, output or error, not {root or 'nothing'!r}")
    if not keys or not all(key.strip() for key in keys):
        raise _bad(text, f"name a key after {root}. with no empty key, as in input.user.email")
    if len(keys) > MAX_KEYS:
        raise _bad(text, f"a path goes at most {MAX_KEYS} keys deep")
    if any(_is_index(key.strip()) and len(key.strip()) > 9 for key in keys):
        raise _bad(text, "an array index has at most 9 digits")
    signed = next((key.strip() for key in keys if SIGNED_INDEX.fullmatch(key.strip())), None)
    if signed:
        raise _bad(text, f"{signed} is no array index: an index counts from 0 with digits only")
    return Clause(root, tuple(key.strip() for key in keys), op, _value(text, op, raw))


def parse_all(texts: list[str]) -> list[Clause]:
    clauses = [line.strip() for text in texts for line in str(text).splitlines()]
    clauses = [clause for clause in clauses if clause]
    if len(clauses) > MAX_CLAUSES:
        raise refused(f"{len(clauses)} clauses is too many: give at most {MAX_CLAUSES}.")
    return [parse(clause) for clause in clauses]


def _value(text: str, op: str, raw: str) -> Any:
    if not raw:
        raise _bad(text, 'give a value after the operator; "" is the empty text')
    if raw.startswith('"'):
        try:
            value = json.loads(raw)
        except ValueError:
            value = None
        if not isinstance(value, str):
            raise _bad(text, 'a quoted value is one JSON string: close the quote, escape \\"')
        _check_text(text, value)  # its escapes can spell what the raw text cannot
        return value
    if op == "~":
        return raw
    if raw in LITERALS:
        if op in ORDERING:
            raise _bad(text, f"{op} compares numbers or text; true, false and null take = or !=")
        return LITERALS[raw]
    if NUMBER.fullmatch(raw):
        number = float(raw) if any(c in raw for c in ".eE") else int(raw)
        # An integer stays exact (PostgreSQL compares it so); SQLite gets it as a float, which
        # must exist.
        try:
            finite = math.isfinite(float(number))
        except OverflowError:
            finite = False
        if not finite:
            raise _bad(text, "the number is out of range")
        return number
    return raw


def _check_text(text: str, value: str) -> None:
    """Neither database stores a NUL or a lone surrogate in text: refused, never a 500."""
    if "\x00" in value:
        raise _bad(text, "it holds a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad(text, "it holds a lone surrogate, which is no character") from None


def _show(value: Any) -> str:
    """The value as a clause spells it, so that parse(str(clause)) gives the clause back."""
    if not isinstance(value, str):
        return json.dumps(value)
    plain = (
        value
        and value == value.strip()
        and value not in LITERALS
        and not NUMBER.fullmatch(value)
        and not value.startswith('"')
        and "\n" not in value
        and "\r" not in value
    )
    return value if plain else json.dumps(value)


def _bad(text: str, problem: str) -> ValidationError:
    return refused(f"where={text!r} is not a clause: {problem} ({EXAMPLE}).")


def _is_index(key: str) -> bool:
    return key.isascii() and key.isdigit()


def _nest(keys: tuple[str, ...], value: Any) -> Any:
    for key in reversed(keys):
        value = [value] if _is_index(key) else {key: value}
    return value


def _equals(clause: Clause, vendor: str) -> Q:
    if vendor != "postgresql":
        return Q(_Probe(clause, "equals"))
    # Containment, which the GIN index serves; ``[value]`` matches an array holding it.
    found = Q(**{f"{clause.root}__contains": _nest(clause.keys, clause.value)}) | Q(
        **{f"{clause.root}__contains": _nest(clause.keys, [clause.value])}
    )
    if any(_is_index(key) for key in clause.keys):
        # Containment finds the value at any index of the array: the probe checks the one named.
        found &= Q(_Probe(clause, "equals"))
    return found


def _sqlite_type(value: Any) -> tuple[str, ...]:
    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("true",) if value else ("false",)
    return ("text",) if isinstance(value, str) else ("integer", "real")


def _pg_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "string" if isinstance(value, str) else "number"


class _Probe(Func):
    """One test of the value at a clause's path, written out for PostgreSQL or SQLite."""

    output_field = BooleanField()

    def __init__(self, clause: Clause, test: str, mask: bool = False) -> None:
        super().__init__(F(clause.root))
        self.clause, self.test, self.mask = clause, test, mask

    def as_sql(self, compiler: Any, connection: Any, *args: Any, **extra: Any) -> Any:
        column, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            return self._postgresql(column, list(params))
        return self._sqlite(column, list(params))

    def _postgresql(self, column: str, params: list[Any]) -> tuple[str, list[Any]]:
        clause, keys = self.clause, list(self.clause.keys)
        at, text = f"({column} #> %s::text[])", f"({column} #>> %s::text[])"
        if self.test == "exists":
            return f"{at} IS NOT NULL", [*params, keys]
        if self.test == "equals":  # at an index: the value, or an array holding it
            value = json.dumps(clause.value)
            sql = f"({at} = %s::jsonb OR {at} @> %s::jsonb)"
            return sql, [*params, keys, value, *params, keys, f"[{value}]"]
        if self.mask:
            text = f"regexp_replace({text}, '{HEX_RUN}', '', 'g')"
        if clause.op == "~":
            return f"{text} ILIKE %s ESCAPE '\\'", [*params, keys, _like(clause.value)]
        op, kind = ORDERING[clause.op], _pg_type(clause.value)
        if kind == "number":  # jsonb compares numbers as numbers, and never fails on a type
            sql = f"(jsonb_typeof({at}) = 'number' AND {at} {op} %s::jsonb)"
            return sql, [*params, keys, *params, keys, json.dumps(clause.value)]
        sql = f"(jsonb_typeof({at}) = 'string' AND {text} {op} %s)"
        return sql, [*params, keys, *params, keys, clause.value]

    def _sqlite(self, column: str, params: list[Any]) -> tuple[str, list[Any]]:
        clause = self.clause
        path = _json_path(clause.keys)
        kind, value = f"json_type({column}, %s)", f"json_extract({column}, %s)"
        if self.test == "exists":
            return f"{kind} IS NOT NULL", [*params, path]
        if self.test == "equals":
            types = _sqlite_type(clause.value)
            marks = ", ".join("%s" for _ in types)
            same = "" if clause.value is None or isinstance(clause.value, bool) else " AND v = %s"
            extra = [] if not same else [_sqlite_value(clause.value)]
            # json_each reads an array's elements, or a scalar as one row; objects are left out.
            sql = (
                f"EXISTS (SELECT 1 FROM (SELECT e.type AS t, e.value AS v FROM "
                f"json_each({column}, %s) AS e WHERE {kind} NOT IN ('object')) "
                f"WHERE t IN ({marks}){same})"
            )
            return sql, [*params, path, *params, path, *types, *extra]
        if clause.op == "~":
            # true and false as PostgreSQL's text has them (json_extract gives 1 and 0), and
            # case folded in Python: SQLite's LIKE folds ASCII letters only.
            words = (
                f"CASE {kind} WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE {value} END"
            )
            if self.mask:
                words = f"regexp_replace({words}, '{HEX_RUN}', '', 'g')"
            sql = f"keystroke_lower({words}) LIKE %s ESCAPE '\\'"
            return sql, [*params, path, *params, path, _like(clause.value.lower())]
        masked = f"regexp_replace({value}, '{HEX_RUN}', '', 'g')" if self.mask else value
        op, types = ORDERING[clause.op], _sqlite_type(clause.value)
        text = masked if types == ("text",) else value  # a number is no token, and stays one
        marks = ", ".join("%s" for _ in types)
        sql = f"({kind} IN ({marks}) AND {text} {op} %s)"
        return sql, [*params, path, *types, *params, path, _sqlite_value(clause.value)]


def _sqlite_value(value: Any) -> Any:
    """SQLite binds no integer beyond 64 bits, and stored such a number as a float."""
    return float(value) if isinstance(value, int) and abs(value) >= 2**63 else value


def _json_path(keys: tuple[str, ...]) -> str:
    """SQLite's JSON path, as Django writes it: ``$."items"[0]."sku"``."""
    return "$" + "".join(f"[{key}]" if _is_index(key) else f".{json.dumps(key)}" for key in keys)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
