"""Two JSON values told apart: what changed by path, and both texts side by side.

Pure functions of plain data (no models), so the compare page, its API and tests share them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from .payloads import PREVIEW_LIMIT, as_json, as_yaml

# Past these, a diff says it stopped: a person reads the first changes, not the ten-thousandth.
MAX_CHANGES = 200
MAX_LINES = 2000
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_MISSING = object()


@dataclass(frozen=True)
class Change:
    path: str  # input.items[0].sku
    change: str  # added, removed or changed
    a: Any
    b: Any

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"path": self.path, "change": self.change}
        if self.change != "added":
            body["a"] = self.a
        if self.change != "removed":
            body["b"] = self.b
        return body


def changes(a: Any, b: Any, path: str) -> tuple[list[Change], bool]:
    """What differs from ``a`` to ``b``, keys and items in order; True when cut at MAX_CHANGES."""
    found: list[Change] = []
    _walk(a, b, path, found)
    return found[:MAX_CHANGES], len(found) > MAX_CHANGES


def _walk(a: Any, b: Any, path: str, found: list[Change]) -> None:
    if len(found) > MAX_CHANGES:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for key in [*a, *(k for k in b if k not in a)]:
            _pair(a.get(key, _MISSING), b.get(key, _MISSING), _key_path(path, key), found)
    elif isinstance(a, list) and isinstance(b, list):
        for index, (x, y) in enumerate(zip_longest(a, b, fillvalue=_MISSING)):
            _pair(x, y, f"{path}[{index}]", found)
    elif a != b or type(a) is not type(b):  # 1 and true, 1 and 1.0 are different JSON
        found.append(Change(path, "changed", a, b))


def _pair(a: Any, b: Any, path: str, found: list[Change]) -> None:
    if a is _MISSING:
        found.append(Change(path, "added", None, b))
    elif b is _MISSING:
        found.append(Change(path, "removed", a, None))
    else:
        _walk(a, b, path, found)


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if _NAME.match(key) else f'{path}["{key}"]'


@dataclass(frozen=True)
class Line:
    tag: str  # equal, replace, delete (left only) or insert (right only)
    left_number: int | None
    left: str
    right_number: int | None
    right: str


@dataclass(frozen=True)
class SideBySide:
    lines: list[Line]
    cut: bool  # a text was past the preview limit or MAX_LINES: only its start is compared


def side_by_side(a: Any, b: Any, fmt: str) -> SideBySide:
    """Both values as JSON or YAML text, line against line, as difflib matches them."""
    render = as_json if fmt == "json" else as_yaml
    left, left_cut = _lines(render(a))
    right, right_cut = _lines(render(b))
    rows: list[Line] = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for i, j in zip_longest(range(i1, i2), range(j1, j2)):
            rows.append(
                Line(
                    tag,
                    None if i is None else i + 1,
                    "" if i is None else left[i],
                    None if j is None else j + 1,
                    "" if j is None else right[j],
                )
            )
    return SideBySide(rows, left_cut or right_cut)


def _lines(text: str) -> tuple[list[str], bool]:
    cut = len(text) > PREVIEW_LIMIT
    lines = text[:PREVIEW_LIMIT].splitlines()
    return lines[:MAX_LINES], cut or len(lines) > MAX_LINES
