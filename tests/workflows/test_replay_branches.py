"""Concurrent branches (asyncio.gather): step ids numbered per branch, replayed in any order,
and runs recorded with one counter per run replayed as they were.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from workflows.engine import StepRecord
from workflows.sdk import (
    Completed,
    Context,
    Failed,
    MemoryEventLog,
    RetryPolicy,
    Suspended,
    define_action,
    define_workflow,
    execute_workflow,
)

from .replay_support import ATTEMPTS, CALLS, Item, Text, Texts, reverse, upper


async def _parallel(item: Item, ctx: Context) -> Texts:
    results = await asyncio.gather(
        reverse.run(Item(name="slow")), upper.run(Item(name="fast")), upper.run(item)
    )
    return Texts(texts=[r.text for r in results])


async def _branches(item: Item, ctx: Context) -> Texts:
    async def branch(name: str) -> str:
        a = await reverse.run(Item(name=name))
        b = await upper.run(Item(name=a.text))
        return b.text

    return Texts(texts=list(await asyncio.gather(branch("ab"), branch("cd"))))


parallel = define_workflow(slug="replay-parallel", input=Item, output=Texts, run=_parallel)
branches = define_workflow(slug="replay-branches", input=Item, output=Texts, run=_branches)


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()
    ATTEMPTS.clear()


def test_it_runs_parallel_steps_concurrently_and_replays_them_in_call_order() -> None:
    log = MemoryEventLog()
    first = execute_workflow(parallel, {"name": "ada"}, log)
    assert first == Completed({"texts": ["wols", "FAST", "ADA"]})
    ids = [r.step_id for r in sorted(log.records.values(), key=lambda r: r.position)]
    assert ids == ["step:replay-reverse#0/0", "step:replay-upper#1/0", "step:replay-upper#2/0"]
    CALLS.clear()
    assert execute_workflow(parallel, {"name": "ada"}, log) == first
    assert CALLS == []


def test_it_gives_multi_step_branches_the_same_ids_on_every_pass() -> None:
    log = MemoryEventLog()
    first = execute_workflow(branches, {"name": "x"}, log)
    assert first == Completed({"texts": ["BA", "DC"]})
    ids = [r.step_id for r in sorted(log.records.values(), key=lambda r: r.position)]
    assert ids == [
        "step:replay-reverse#0/0",
        "step:replay-reverse#1/0",
        "step:replay-upper#0/0",
        "step:replay-upper#1/0",
    ]
    assert execute_workflow(branches, {"name": "x"}, log) == first


def _once_flaky(item: Item) -> Text:
    ATTEMPTS[item.name] = ATTEMPTS.get(item.name, 0) + 1
    if ATTEMPTS[item.name] == 1:
        raise ValueError("the first attempt fails")
    return Text(text=item.name)


once_flaky = define_action(
    slug="replay-once-flaky",
    input=Item,
    output=Text,
    run=_once_flaky,
    retries=RetryPolicy(max_attempts=2, initial_interval=60),
)


async def _retry_in_a_branch(item: Item, ctx: Context) -> Texts:
    async def lagging() -> str:
        first = await once_flaky.run(Item(name="a"))
        return (await upper.run(Item(name=first.text))).text

    async def steady() -> str:
        first = await reverse.run(Item(name="bc"))
        return (await reverse.run(Item(name=first.text))).text

    return Texts(texts=list(await asyncio.gather(lagging(), steady())))


retry_in_a_branch = define_workflow(
    slug="replay-retry-in-a-branch", input=Item, output=Texts, run=_retry_in_a_branch
)


def test_a_retry_in_one_branch_does_not_renumber_the_steps_of_another() -> None:
    # Pass 1: branch 0 fails its first step and sleeps for the retry while branch 1 records both
    # of its steps. Pass 2 retries and finishes branch 0.
    ATTEMPTS.clear()
    log = MemoryEventLog()
    start = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    first = execute_workflow(retry_in_a_branch, {"name": "x"}, log, clock=lambda: start)
    assert isinstance(first, Suspended)
    assert [item.kind for item in first.items] == ["retry"]
    CALLS.clear()
    later = start + timedelta(minutes=2)
    outcome = execute_workflow(retry_in_a_branch, {"name": "x"}, log, clock=lambda: later)
    assert outcome == Completed({"texts": ["A", "bc"]})
    assert CALLS == ["upper:a"]  # branch 1's recorded steps were not run again
    # Pass 3 answers every step from the log, so branch 0 now moves first.
    CALLS.clear()
    assert execute_workflow(retry_in_a_branch, {"name": "x"}, log, clock=lambda: later) == outcome
    assert CALLS == []
    ids = {r.step_id: r.status for r in log.records.values()}
    assert ids == {
        "step:replay-once-flaky#0/0": "success",
        "step:replay-upper#0/0": "success",
        "step:replay-reverse#1/0": "success",
        "step:replay-reverse#1/1": "success",
    }


def test_a_history_numbered_with_one_counter_per_run_still_replays() -> None:
    # Runs recorded before branches were numbered on their own: one counter for the whole run.
    log = MemoryEventLog.seeded(
        {
            "step:replay-reverse#0": {"text": "ba"},
            "step:replay-reverse#1": {"text": "dc"},
            "step:replay-upper#0": {"text": "AB"},
            "step:replay-upper#1": {"text": "CD"},
        },
        per_branch_numbering=False,
    )
    CALLS.clear()
    assert execute_workflow(branches, {"name": "x"}, log) == Completed({"texts": ["AB", "CD"]})
    assert CALLS == []
    assert log.writes == 0


def test_an_old_run_retried_after_a_branch_step_failed_runs_only_that_step_again() -> None:
    # The retry deleted the failed step's row: its position is empty, the run is still numbered
    # with one counter, as it was recorded.
    log = MemoryEventLog.seeded(
        {
            "step:replay-reverse#0": {"text": "ba"},
            "step:replay-reverse#1": {"text": "dc"},
            "step:replay-upper#0": {"text": "BA"},
        },
        per_branch_numbering=False,
    )
    del log.records[1]
    CALLS.clear()
    outcome = execute_workflow(branches, {"name": "x"}, log)
    assert outcome == Completed({"texts": ["BA", "DC"]})
    assert sorted(CALLS) == ["reverse:cd", "upper:dc"]
    assert [log.records[p].step_id for p in sorted(log.records)] == [
        "step:replay-reverse#0",
        "step:replay-reverse#1",
        "step:replay-upper#0",
        "step:replay-upper#1",
    ]


async def _gather_then_step(item: Item, ctx: Context) -> Texts:
    first, second = await asyncio.gather(upper.run(Item(name="a")), reverse.run(Item(name="bc")))
    last = await upper.run(Item(name=second.text))
    return Texts(texts=[first.text, second.text, last.text])


gather_then_step = define_workflow(
    slug="replay-gather-then-step", input=Item, output=Texts, run=_gather_then_step
)


def test_an_old_run_whose_first_branch_step_was_forgotten_repeats_no_finished_step() -> None:
    log = MemoryEventLog(
        [StepRecord(1, "step:replay-reverse#0", "action", "success", output={"text": "cb"})],
        per_branch_numbering=False,
    )
    CALLS.clear()
    outcome = execute_workflow(gather_then_step, {"name": "x"}, log)
    assert outcome == Completed({"texts": ["A", "cb", "CB"]})
    assert CALLS == ["upper:a", "upper:cb"]


def test_a_finished_run_that_left_a_recorded_step_unasked_is_non_determinism() -> None:
    log = MemoryEventLog()
    assert execute_workflow(branches, {"name": "x"}, log) == Completed({"texts": ["BA", "DC"]})
    log.records[9] = StepRecord(9, "step:replay-upper#0", "action", "success", output={"text": "?"})
    outcome = execute_workflow(branches, {"name": "x"}, log)
    assert isinstance(outcome, Failed) and outcome.error["type"] == "NonDeterminismError"
    assert "at position 9 the history has step:replay-upper#0" in outcome.error["message"]


def test_a_reordered_branch_is_reported_as_non_determinism() -> None:
    log = MemoryEventLog()
    assert execute_workflow(branches, {"name": "x"}, log) == Completed({"texts": ["BA", "DC"]})
    record = next(r for r in log.records.values() if r.step_id == "step:replay-upper#1/0")
    record.step_id = "step:replay-upper#1/7"
    outcome = execute_workflow(branches, {"name": "x"}, log)
    assert isinstance(outcome, Failed)
    assert outcome.error["type"] == "NonDeterminismError"
    assert "step:replay-upper#1/7" in outcome.error["message"]
