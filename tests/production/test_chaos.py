"""Runs survive killed workers and restarted servers: none lost, none doubled, all succeed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..chaos import Chaos, ChaosPlan

# Its workers and servers restart under a fixed load: beside other tests it would take longer.
pytestmark = pytest.mark.alone


def test_it_loses_nothing_while_workers_die_and_postgres_and_redis_restart(tmp_path: Path) -> None:
    plan = ChaosPlan(runs=40, workers=3, submit_seconds=30, kill_every=4, kills=4)
    chaos = Chaos(plan, tmp_path)
    try:
        chaos.start()
        report = chaos.run()
    finally:
        chaos.stop()
    problems = report.problems()
    assert not problems, "\n".join([*problems, *report.lines(), chaos.logs()])
    assert report.kills >= plan.kills and report.restarts == ["postgres", "redis"], report.lines()
