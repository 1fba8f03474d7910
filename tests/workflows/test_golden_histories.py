"""Committed step logs replayed against today's code: a change that breaks old histories fails
here.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from unittest import mock

import pytest

from workflows.engine import StepRecord
from workflows.registry import registry
from workflows.sdk import Completed, MemoryEventLog, execute_workflow

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.json"))


def load_records(steps: list[dict]) -> list[StepRecord]:
    dates = ("started_at", "finished_at", "wake_at")
    return [
        StepRecord(
            **{k: datetime.fromisoformat(v) if k in dates and v else v for k, v in s.items()}
        )
        for s in steps
    ]


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_a_recorded_history_replays_to_its_output_without_executing_a_step(fixture: Path) -> None:
    golden = json.loads(fixture.read_text())
    workflow = registry.workflow(golden["workflow"])
    log = MemoryEventLog(
        load_records(golden["steps"]),
        run_id="run_golden",
        per_branch_numbering=golden.get("step_numbering", 2) == 2,
    )
    with mock.patch(
        "workflows.definitions.Action.execute", side_effect=AssertionError("a recorded step ran")
    ):
        outcome = execute_workflow(workflow, golden["input"], log)
    assert outcome == Completed(golden["output"])
    assert log.writes == 0
