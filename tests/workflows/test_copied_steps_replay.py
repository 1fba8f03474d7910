"""Steps copied into a retry from a later step, replayed in-process on MemoryEventLog: they answer
as recorded, and when the new input takes the code elsewhere the run fails naming the copied step
instead of reusing a record that no longer fits."""

from __future__ import annotations

import pytest

from workflows.engine import StepRecord
from workflows.sdk import (
    Completed,
    Context,
    Failed,
    MemoryEventLog,
    define_workflow,
    execute_workflow,
)

from .replay_support import CALLS, Item, Texts, reverse, upper


async def _branching(item: Item, ctx: Context) -> Texts:
    # The input chooses the first step: "rev…" names start with reverse, the others with upper.
    if item.name.startswith("rev"):
        first = await reverse.run(item)
    else:
        first = await upper.run(item)
    second = await reverse.run(Item(name=first.text))
    return Texts(texts=[first.text, second.text])


async def _maybe_skipping(item: Item, ctx: Context) -> Texts:
    if item.name == "skip":
        return Texts(texts=[])
    return Texts(texts=[(await upper.run(item)).text])


branching = define_workflow(slug="copied-branching", input=Item, output=Texts, run=_branching)
maybe_skipping = define_workflow(
    slug="copied-skipping", input=Item, output=Texts, run=_maybe_skipping
)


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()


def copied_upper(name: str) -> StepRecord:
    """step:replay-upper#0 as a retry copies it: recorded for ``name``."""
    return StepRecord(
        0,
        "step:replay-upper#0",
        "action",
        "success",
        input={"name": name},
        output={"text": name.upper()},
        copied=True,
    )


def test_a_copied_step_answers_from_its_record_and_the_later_steps_run() -> None:
    log = MemoryEventLog([copied_upper("ada")])
    assert execute_workflow(branching, {"name": "ada"}, log) == Completed({"texts": ["ADA", "ADA"]})
    assert CALLS == ["reverse:ADA"], "the copied step did not run again"


def test_new_input_that_takes_another_path_fails_naming_the_copied_step() -> None:
    outcome = execute_workflow(branching, {"name": "rev"}, MemoryEventLog([copied_upper("rev")]))
    assert isinstance(outcome, Failed) and outcome.error["type"] == "NonDeterminismError"
    assert (
        "step:replay-upper#0 was copied from the run this one retries" in outcome.error["message"]
    )
    assert "retry from step:replay-upper#0 or an earlier step" in outcome.error["message"]
    assert CALLS == []


def test_new_input_that_skips_the_copied_step_fails_naming_it() -> None:
    outcome = execute_workflow(
        maybe_skipping, {"name": "skip"}, MemoryEventLog([copied_upper("x")])
    )
    assert isinstance(outcome, Failed)
    assert "step:replay-upper#0 was copied" in outcome.error["message"]
    assert "the code no longer asks for it" in outcome.error["message"]


def test_new_input_that_changes_a_copied_steps_input_fails_naming_it_and_runs_nothing() -> None:
    outcome = execute_workflow(branching, {"name": "bob"}, MemoryEventLog([copied_upper("ada")]))
    assert isinstance(outcome, Failed) and outcome.error["type"] == "CopiedStepChanged"
    assert outcome.error["step_id"] == "step:replay-upper#0"
    assert "passes it different input" in outcome.error["message"]
    assert CALLS == [], "nothing runs past a copy that no longer fits"


def test_a_step_recorded_by_the_run_itself_keeps_the_plain_determinism_message() -> None:
    record = copied_upper("rev")
    record.copied = False
    outcome = execute_workflow(branching, {"name": "rev"}, MemoryEventLog([record]))
    assert isinstance(outcome, Failed)
    assert "check that your workflow is deterministic" in outcome.error["message"]


def test_copies_replay_in_a_run_numbered_with_one_counter() -> None:
    log = MemoryEventLog([copied_upper("ada")], per_branch_numbering=False)
    assert execute_workflow(branching, {"name": "ada"}, log) == Completed({"texts": ["ADA", "ADA"]})
    assert CALLS == ["reverse:ADA"]
    moved = MemoryEventLog([copied_upper("rev")], per_branch_numbering=False)
    outcome = execute_workflow(branching, {"name": "rev"}, moved)
    assert isinstance(outcome, Failed) and "was copied" in outcome.error["message"]
