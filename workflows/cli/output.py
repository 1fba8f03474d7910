"""Printing results: JSON for programs, YAML or a fixed-width table for people."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click
import yaml

from .errors import CliError

FORMATS = ("json", "yaml", "table")
MAX_CELL = 48  # list columns stay narrow; a record's values get more room
MAX_VALUE = 120
RUN_COLUMNS = ("id", "slug", "status", "trigger.type", "created_at", "duration_ms", "total_cost")
STEP_COLUMNS = ("id", "kind", "status", "attempts", "started_at", "finished_at")
STATUS_COLOURS = {
    "success": "green",
    "failed": "red",
    "canceled": "yellow",
    "queued": "cyan",
    "running": "cyan",
    "sleeping": "magenta",
    "waiting": "magenta",
}


def emit(
    data: Any, fmt: str = "json", field: str | None = None, columns: Sequence[str] = RUN_COLUMNS
) -> None:
    if field:
        data = pluck(data, field)
        if isinstance(data, str):  # plain, so shell scripts can use it without jq
            click.echo(data)
            return
    if fmt == "yaml":
        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), nl=False)
    elif fmt == "table" and not field:
        click.echo(table(data, columns))
    else:
        click.echo(to_json(data))


def to_json(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def pluck(data: Any, path: str) -> Any:
    """``output.items.0.name``: dict keys, and list indexes as numbers."""
    value = data
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif (
            isinstance(value, list)
            and part.lstrip("-").isdigit()
            and -len(value) <= int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            raise CliError(f"the result has no field {path!r} (stopped at {part!r})")
    return value


def table(data: Any, columns: Sequence[str]) -> str:
    if isinstance(data, list):
        return grid([row_cells(row, columns) for row in data], columns)
    if isinstance(data, dict):
        return record(data)
    return cell(data)


def record(data: dict[str, Any]) -> str:
    """One object as FIELD/VALUE rows; a ``steps`` list follows as a table of its own."""
    rows = [
        [key, paint(key, cell(value, MAX_VALUE))] for key, value in data.items() if key != "steps"
    ]
    text = grid(rows, ("field", "value"))
    if isinstance(data.get("steps"), list):
        text += "\n\n" + grid(
            [row_cells(step, STEP_COLUMNS) for step in data["steps"]], STEP_COLUMNS
        )
    return text


def row_cells(row: Any, columns: Sequence[str]) -> list[str]:
    # The last column has nothing to its right, so it may run longer.
    widths = [MAX_CELL] * (len(columns) - 1) + [MAX_VALUE]
    return [paint(c, cell(pluck_or_none(row, c), w)) for c, w in zip(columns, widths, strict=True)]


def paint(column: str, text: str) -> str:
    """Colours a status; click.echo drops the colour again when stdout is not a terminal."""
    colour = STATUS_COLOURS.get(text) if column == "status" else None
    return click.style(text, fg=colour) if colour else text


def grid(rows: list[list[str]], columns: Sequence[str]) -> str:
    header = [click.style(c.upper(), bold=True) for c in columns]
    widths = [max(visible_len(r[i]) for r in [header, *rows]) for i in range(len(columns))]
    lines = [
        "  ".join(pad(v, w) for v, w in zip(r, widths, strict=True)).rstrip()
        for r in [header, *rows]
    ]
    return "\n".join(lines) if rows else "\n".join([lines[0], "(none)"])


def visible_len(text: str) -> int:
    return len(click.unstyle(text))


def pad(text: str, width: int) -> str:
    # Not str.ljust: colour codes take bytes but no columns.
    return text + " " * (width - visible_len(text))


def pluck_or_none(data: Any, path: str) -> Any:
    try:
        return pluck(data, path)
    except CliError:
        return None


def cell(value: Any, width: int = MAX_CELL) -> str:
    if value is None:
        return "-"
    if isinstance(value, str):
        text = _short_time(value)
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    text = visible(" ".join(text.split()))  # one line per row, whatever the value holds
    return text if len(text) <= width else text[: width - 1] + "…"


def visible(text: str) -> str:
    """Control characters as escapes: a value must not recolour or move the reader's terminal."""
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 32 or 127 <= ord(c) < 160 else c for c in text)


def _short_time(value: str) -> str:
    """``2025-01-02T03:04:05.678901Z`` → ``2025-01-02 03:04:05``: the table is read by people."""
    if len(value) >= 19 and value[4] == "-" and value[10] == "T" and value[13] == ":":
        return f"{value[:10]} {value[11:19]}"
    return value
