"""The in-memory event log: what tests seed it with, and how it runs child workflows."""

from __future__ import annotations

from typing import Any

import pytest

from workflows.engine.kinds import SUCCESS, WAITING
from workflows.engine.log import MemoryEventLog, StepRecord
from workflows.engine.outcomes import Completed, Outcome, Suspended, SuspendItem


def test_a_seeded_log_holds_completed_steps_in_order_with_their_kinds() -> None:
    log = MemoryEventLog.seeded({"step:sleep#0": None, "step:greet#0": {"text": "hi"}})
    records = log.load()
    assert [(r.step_id, r.kind, r.status) for r in records.values()] == [
        ("step:sleep#0", "sleep", SUCCESS),
        ("step:greet#0", "action", SUCCESS),
    ]
    records[1].output = "changed"
    assert log.load()[1].output == {"text": "hi"}  # a pass gets copies


def test_a_child_runs_through_the_callback_on_a_log_of_its_own() -> None:
    seen: list[tuple[Any, Any, str]] = []

    def run_child(workflow: Any, input: Any, log: MemoryEventLog) -> Outcome:
        seen.append((workflow, input, log.run_id))
        return Completed({"ok": True})

    log = MemoryEventLog(run_id="run_1", run_child=run_child)
    asked = StepRecord(2, "step:child#0", "workflow", WAITING)
    record = log.start_child(asked, "child-workflow", {"n": 1})
    assert seen == [("child-workflow", {"n": 1}, "run_1.2")]
    assert (record.status, record.output, record.child_run_id) == (SUCCESS, {"ok": True}, "run_1.2")
    assert log.children["run_1.2"].run_child is run_child


def test_a_child_still_running_leaves_its_step_waiting() -> None:
    def suspended(workflow: Any, input: Any, log: MemoryEventLog) -> Outcome:
        return Suspended([SuspendItem("sleep", "step:sleep#0")])

    log = MemoryEventLog(run_id="run_1", run_child=suspended)
    record = log.start_child(StepRecord(0, "step:child#0", "workflow", WAITING), "wf", {})
    assert record.status == WAITING and log.records[0].child_run_id == "run_1.0"


def test_a_log_without_a_way_to_run_children_says_how_to_give_it_one() -> None:
    with pytest.raises(RuntimeError, match="run_child=execute"):
        MemoryEventLog().start_child(StepRecord(0, "step:c#0", "workflow", WAITING), "wf", {})


def test_resuming_a_hook_answers_it_and_an_unknown_token_is_refused() -> None:
    log = MemoryEventLog([StepRecord(0, "step:approval#0", "hook", WAITING, token="t")])
    log.resume_hook("t", {"approved": True})
    assert (log.records[0].status, log.records[0].output) == (SUCCESS, {"approved": True})
    with pytest.raises(KeyError):
        log.resume_hook("t", {})
