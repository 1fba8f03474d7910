"""The pure formatting helpers behind tables and ``--summary`` (no server needed)."""

from __future__ import annotations

import click

from workflows.cli.output import table
from workflows.cli.summary import summary_line

RUN = {
    "id": "run_1",
    "slug": "nightly-export",
    "status": "success",
    "duration_ms": 754_000,
    "step_count": 1,
    "total_cost": "1.5",
    "trigger": {"type": "schedule", "label": "Schedule · nightly"},
}


def test_it_summarises_long_runs_and_failures_on_one_line() -> None:
    assert (
        summary_line(RUN)
        == "run_1 nightly-export success in 12 min 34 s (1 step, $1.5000) trigger Schedule · "
        "nightly"
    )
    waiting = RUN | {"status": "waiting", "duration_ms": None, "step_count": 2}
    assert (
        summary_line(waiting)
        == "run_1 nightly-export waiting (2 steps, $1.5000) trigger Schedule · nightly"
    )
    failed = RUN | {
        "status": "failed",
        "duration_ms": 7_200_000,
        "error": {"type": "Boom", "message": "x\n" * 200},
    }
    line = summary_line(failed)
    assert line.startswith("run_1 nightly-export failed in 2 h 0 min ") and "\n" not in line
    assert line.endswith("…") and len(line) < 300


def test_tables_line_up_coloured_cells_and_escape_control_characters() -> None:
    rows = [{"id": "a", "status": "failed"}, {"id": "bbbb", "status": "success"}]
    plain = click.unstyle(table(rows, ("id", "status"))).splitlines()
    assert plain == ["ID    STATUS", "a     failed", "bbbb  success"]
    hostile = table([{"id": "x\x1b[2Jy", "status": "ok"}], ("id", "status"))
    assert "\x1b[2J" not in hostile and "x\\x1b[2Jy" in hostile
