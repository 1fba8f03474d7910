"""``keystroke history compare <a> <b>``: two runs told apart (GET /api/runs/<a>/compare/<b>)."""

from __future__ import annotations

from typing import Any

import click

from .common import client, output_options
from .output import cell, emit, grid, paint

STEP_COLUMNS = ("step_id", "a.status", "b.status", "a.duration_ms", "b.duration_ms", "output")


@click.command("compare")
@click.argument("run_a")
@click.argument("run_b")
@output_options
def history_compare(run_a: str, run_b: str, fmt: str, field: str | None) -> None:
    """Compare two runs: input and result changes by path, steps aligned by step id, and the
    first step where they diverge."""
    comparison = client().get(f"/api/runs/{run_a}/compare/{run_b}")
    if fmt == "table" and not field:
        click.echo(comparison_table(comparison))
    else:
        emit(comparison, fmt, field)


def comparison_table(data: dict[str, Any]) -> str:
    """The runs, their changes and their aligned steps, for a person at a terminal."""
    runs = grid(
        [[side, *(cell(data[side][k]) for k in ("id", "slug", "status"))] for side in ("a", "b")],
        ("run", "id", "slug", "status"),
    )
    changes = grid(
        [
            [c["path"], c["change"], cell(c.get("a", "")), cell(c.get("b", ""))]
            for c in data["input"] + data["result"]
        ],
        ("path", "change", "a", "b"),
    )
    first = data["first_divergence"]
    steps = grid([_step_row(step, first) for step in data["steps"]], STEP_COLUMNS)
    divergence = f"first divergence: {first}" if first else "no divergence in the steps compared"
    return "\n\n".join([runs, *data["notes"], changes, steps, divergence])


def _step_row(step: dict[str, Any], first: str | None) -> list[str]:
    a, b = step["a"] or {}, step["b"] or {}
    output = "differs" if step["output_differs"] else "same" if a and b else "one side only"
    marker = "> " if step["step_id"] == first else "  "
    return [
        marker + step["step_id"],
        paint("status", a.get("status", "-")),
        paint("status", b.get("status", "-")),
        cell(a.get("duration_ms")),
        cell(b.get("duration_ms")),
        output,
    ]
