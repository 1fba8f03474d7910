"""ctx.patched and ctx.deprecate_patch: a workflow changed under runs in flight, on MemoryEventLog.

The same log is replayed by three versions of one workflow: the original (a letter after the
sleep), the changed one (an email behind ``ctx.patched``, the letter kept for older runs), and the
cleaned-up one (only the email, behind ``ctx.deprecate_patch``).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from workflows.registry import registry
from workflows.sdk import (
    Completed,
    Context,
    Failed,
    MemoryEventLog,
    Suspended,
    define_workflow,
    execute_workflow,
)

from .replay_support import CALLS, Item, Texts, reverse, upper

START = datetime(2026, 1, 1, tzinfo=UTC)


async def _original(item: Item, ctx: Context) -> Texts:
    await upper.run(item)
    await ctx.sleep("1h")
    sent = await reverse.run(item)  # a letter
    await ctx.sleep("1h")
    return Texts(texts=["letter", sent.text])


async def _changed(item: Item, ctx: Context) -> Texts:
    await upper.run(item)
    await ctx.sleep("1h")
    if ctx.patched("email-not-letter"):
        sent = await upper.run(Item(name=f"email {item.name}"))
        kind = "email"
    else:
        sent, kind = await reverse.run(item), "letter"
    await ctx.sleep("1h")
    return Texts(texts=[kind, sent.text])


async def _too_early(item: Item, ctx: Context) -> Texts:
    await upper.run(item)
    await ctx.sleep("1h")
    sent = await upper.run(Item(name=f"email {item.name}"))
    await ctx.sleep("1h")
    return Texts(texts=["email", sent.text])


async def _cleaned_up(item: Item, ctx: Context) -> Texts:
    await upper.run(item)
    await ctx.sleep("1h")
    ctx.deprecate_patch("email-not-letter")
    sent = await upper.run(Item(name=f"email {item.name}"))
    await ctx.sleep("1h")
    return Texts(texts=["email", sent.text])


async def _in_branches(item: Item, ctx: Context) -> Texts:
    async def branch(name: str) -> str:
        if ctx.patched("loud"):
            return (await upper.run(Item(name=name))).text
        return (await reverse.run(Item(name=name))).text

    return Texts(texts=list(await asyncio.gather(branch("ada"), branch("bob"))))


async def _in_branches_before(item: Item, ctx: Context) -> Texts:
    async def branch(name: str) -> str:
        return (await reverse.run(Item(name=name))).text

    return Texts(texts=list(await asyncio.gather(branch("ada"), branch("bob"))))


def _workflow(slug: str, run: object) -> object:
    return define_workflow(slug=slug, input=Item, output=Texts, run=run)  # type: ignore[arg-type]


original = _workflow("patch-original", _original)
changed = _workflow("patch-changed", _changed)
too_early = _workflow("patch-too-early", _too_early)
cleaned_up = _workflow("patch-cleaned-up", _cleaned_up)
in_branches = _workflow("patch-in-branches", _in_branches)
in_branches_before = _workflow("patch-in-branches-before", _in_branches_before)


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()


def _pass(workflow: object, log: MemoryEventLog, hours: int) -> object:
    """One pass at ``hours`` after the start: 0 sleeps at the first sleep, 2 at the second."""
    at = START + timedelta(hours=hours)
    return execute_workflow(workflow, {"name": "ada"}, log, clock=lambda: at)  # type: ignore[arg-type]


def _asleep(workflow: object, log: MemoryEventLog, hours: int) -> None:
    assert isinstance(_pass(workflow, log, hours), Suspended)


def _kinds(log: MemoryEventLog) -> list[str]:
    return [r.kind for _, r in sorted(log.records.items())]


@pytest.mark.parametrize("per_branch", [True, False], ids=["per-branch", "one-counter"])
def test_a_run_recorded_before_the_change_replays_the_old_path_and_a_new_run_takes_the_new_one(
    per_branch: bool,
) -> None:
    old = MemoryEventLog(per_branch_numbering=per_branch)
    _asleep(original, old, 0)
    _asleep(original, old, 2)  # the letter is sent, and the run sleeps again: then the deploy
    CALLS.clear()
    assert _pass(changed, old, 4) == Completed({"texts": ["letter", "ada"]})
    assert CALLS == []  # no email to someone who had the letter
    assert "patch" not in _kinds(old)

    new = MemoryEventLog(per_branch_numbering=per_branch)
    _asleep(changed, new, 0)
    _asleep(changed, new, 2)
    assert _pass(changed, new, 4) == Completed({"texts": ["email", "EMAIL ADA"]})
    assert _kinds(new) == ["action", "sleep", "patch", "action", "sleep"]
    assert new.records[2].step_id == "step:patch:email-not-letter#0"
    CALLS.clear()
    # Replayed whole, it takes the new path again and runs nothing.
    assert _pass(changed, new, 4) == Completed({"texts": ["email", "EMAIL ADA"]})
    assert CALLS == []


def test_a_run_asleep_before_the_change_takes_the_new_path_when_it_wakes() -> None:
    """It reaches the change after the deploy: nothing was recorded there by the old code."""
    log = MemoryEventLog()
    _asleep(original, log, 0)
    _asleep(changed, log, 2)
    assert _pass(changed, log, 4) == Completed({"texts": ["email", "EMAIL ADA"]})
    assert _kinds(log) == ["action", "sleep", "patch", "action", "sleep"]


def test_removing_the_old_path_too_early_fails_naming_both_versions() -> None:
    log = MemoryEventLog(version="v1.4.0", code_version="v1.5.0")
    _asleep(original, log, 0)
    _asleep(original, log, 2)
    CALLS.clear()

    outcome = _pass(too_early, log, 4)

    assert isinstance(outcome, Failed)
    assert outcome.error["type"] == "NonDeterminismError"
    message = outcome.error["message"]
    assert "step:replay-reverse#0" in message and "step:replay-upper#1" in message
    assert "started on version v1.4.0 and this worker runs v1.5.0" in message
    assert 'ctx.patched("<change-id>")' in message and "version=v1.4.0" in message
    assert outcome.error["started_on_version"] == "v1.4.0"
    assert outcome.error["running_version"] == "v1.5.0"
    assert CALLS == []


def test_nondeterminism_on_one_version_says_the_code_is_not_deterministic() -> None:
    log = MemoryEventLog(version="v2", code_version="v2")
    _asleep(original, log, 0)
    _asleep(original, log, 2)
    outcome = _pass(too_early, log, 4)
    assert isinstance(outcome, Failed)
    assert "started on this same version (v2)" in outcome.error["message"]
    assert "deterministic" in outcome.error["message"]


def test_deprecate_patch_replays_runs_with_the_marker_and_records_none_for_new_ones() -> None:
    marked = MemoryEventLog()
    _asleep(changed, marked, 0)
    _asleep(changed, marked, 2)  # the marker and the email are recorded
    CALLS.clear()
    assert _pass(cleaned_up, marked, 4) == Completed({"texts": ["email", "EMAIL ADA"]})
    assert CALLS == []

    fresh = MemoryEventLog()
    _asleep(cleaned_up, fresh, 0)
    _asleep(cleaned_up, fresh, 2)
    assert _pass(cleaned_up, fresh, 4) == Completed({"texts": ["email", "EMAIL ADA"]})
    assert _kinds(fresh) == ["action", "sleep", "action", "sleep"]


def test_dropping_the_marker_too_early_fails_naming_it() -> None:
    """A run that recorded the marker still needs a call that takes it."""
    marked = MemoryEventLog(version="a1", code_version="b2")
    _asleep(changed, marked, 0)
    _asleep(changed, marked, 2)
    outcome = _pass(too_early, marked, 4)
    assert isinstance(outcome, Failed)
    assert "step:patch:email-not-letter#0" in outcome.error["message"]
    assert "started on version a1 and this worker runs b2" in outcome.error["message"]


def test_concurrent_branches_share_the_run_s_one_answer() -> None:
    before = MemoryEventLog()
    assert execute_workflow(in_branches_before, {"name": "x"}, before) == Completed(
        {"texts": ["ada", "bob"]}
    )
    CALLS.clear()
    assert execute_workflow(in_branches, {"name": "x"}, before) == Completed(
        {"texts": ["ada", "bob"]}
    )
    assert CALLS == []

    after = MemoryEventLog()
    assert execute_workflow(in_branches, {"name": "x"}, after) == Completed(
        {"texts": ["ADA", "BOB"]}
    )
    markers = [r.step_id for r in after.records.values() if r.kind == "patch"]
    assert len(markers) == 1 and markers[0].startswith("step:patch:loud#")
    CALLS.clear()
    assert execute_workflow(in_branches, {"name": "x"}, after) == Completed(
        {"texts": ["ADA", "BOB"]}
    )
    assert CALLS == []


def test_a_branch_that_had_not_reached_the_change_follows_the_one_that_had() -> None:
    """One answer per run: the first branch replays the old path, so the second takes it too."""
    log = MemoryEventLog()
    assert isinstance(execute_workflow(in_branches_before, {"name": "x"}, log), Completed)
    second = max(log.records)
    del log.records[second]  # as if the deploy came before the second branch's step ran
    CALLS.clear()
    assert execute_workflow(in_branches, {"name": "x"}, log) == Completed({"texts": ["ada", "bob"]})
    assert CALLS == ["reverse:bob"]


async def _asked_twice(item: Item, ctx: Context) -> Texts:
    first = ctx.patched("loud")
    await ctx.sleep("1h")
    return Texts(texts=[str(first), str(ctx.patched("loud"))])


asked_twice = _workflow("patch-asked-twice", _asked_twice)


def test_a_change_id_asked_twice_gets_the_first_answer_and_one_marker() -> None:
    log = MemoryEventLog()
    _asleep(asked_twice, log, 0)
    assert _kinds(log) == ["patch", "sleep"], "the marker is written before the run sleeps"
    assert _pass(asked_twice, log, 2) == Completed({"texts": ["True", "True"]})
    assert _kinds(log) == ["patch", "sleep"]


async def _marks_then_waits(item: Item, ctx: Context) -> Texts:
    async def mark() -> None:
        await upper.run(item)  # answered in the round where the sleep starts to wait
        ctx.patched("loud")

    await asyncio.gather(ctx.sleep("1h"), mark())
    return Texts(texts=[])


marks_then_waits = _workflow("patch-marks-then-waits", _marks_then_waits)


def test_a_marker_asked_for_as_the_run_suspends_is_recorded() -> None:
    log = MemoryEventLog()
    _asleep(marks_then_waits, log, 0)
    assert sorted(_kinds(log)) == ["action", "patch", "sleep"]


@pytest.mark.parametrize("change_id", ["", "Email", "has space", "x" * 101, 7])
def test_a_bad_change_id_is_refused_naming_the_call(change_id: object) -> None:
    async def bad(item: Item, ctx: Context) -> Texts:
        ctx.patched(change_id)  # type: ignore[arg-type]
        return Texts(texts=[])

    workflow = define_workflow(
        slug=f"patch-bad-{abs(hash(str(change_id)))}", input=Item, output=Texts, run=bad
    )
    outcome = execute_workflow(workflow, {"name": "x"}, MemoryEventLog())
    assert isinstance(outcome, Failed)
    assert "ctx.patched(" in outcome.error["message"]
    assert "change id must be" in outcome.error["message"]


def test_the_example_trial_asleep_since_the_first_release_is_not_welcomed_again() -> None:
    """examples/workflows/trial_follow_up.py, against the history its first release recorded."""
    from .test_golden_histories import FIXTURES, load_records

    golden = json.loads(next(f for f in FIXTURES if f.stem.startswith("trial")).read_text())
    posted, asleep = load_records(golden["steps"][:2])
    asleep = replace(asleep, status="sleeping", finished_at=None)  # as the deploy found it
    log = MemoryEventLog([posted, asleep])
    woken = asleep.wake_at + timedelta(minutes=1)
    trial = registry.workflow("trial-follow-up")

    outcome = execute_workflow(trial, golden["input"], log, clock=lambda: woken)

    assert outcome == Completed(golden["output"]) and outcome.output["welcomed_by"] == "channel"
    assert [r.step_id for _, r in sorted(log.records.items())] == [
        "step:post-message#0",
        "step:sleep#0",
        "step:lookup-company#0",
        "step:post-message#1",
    ]

    started_after = MemoryEventLog()
    new_input = {**golden["input"], "trial_seconds": 0}
    assert isinstance(execute_workflow(trial, new_input, started_after), Completed)
    assert [r.step_id for _, r in sorted(started_after.records.items())] == [
        "step:patch:welcome-by-email#0",
        "step:send-email#0",
        "step:sleep#0",
        "step:lookup-company#0",
        "step:post-message#0",
    ]
