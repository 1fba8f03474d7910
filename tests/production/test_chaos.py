"""Runs survive killed workers and restarted servers: none lost, none doubled, all succeed."""

from __future__ import annotations

from pathlib import Path

import pytest

from ..chaos import Chaos, ChaosPlan

# It counts the faults it manages to inject in a fixed time: beside other tests it gets fewer.
pytestmark = pytest.mark.alone


def test_it_loses_nothing_while_workers_die_and_postgres_and_redis_restart(tmp_path: Path) -> None:
    chaos = Chaos(ChaosPlan(runs=40, workers=3, submit_seconds=30, kill_every=4), tmp_path)
    try:
        chaos.start()
        report = chaos.run()
    finally:
        chaos.stop()
    problems = report.problems()
    assert not problems, "\n".join([*problems, *report.lines(), chaos.logs()])
    assert report.kills >= 4 and report.restarts == ["postgres", "redis"], report.lines()
