"""Replay semantics of the engine core, in-process on MemoryEventLog."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import BaseModel

from workflows.registry import registry
from workflows.sdk import (
    Completed,
    Context,
    Failed,
    HookTimeout,
    MemoryEventLog,
    NonRetryableError,
    Suspended,
    define_action,
    define_workflow,
    execute_workflow,
    now,
    uuid4,
)

from .replay_support import (
    ATTEMPTS,
    CALLS,
    PLAIN_CODE_RUNS,
    Item,
    Text,
    Texts,
    flaky,
    reverse,
    upper,
)


async def _sequence(item: Item, ctx: Context) -> Texts:
    first = await upper.run(item)
    PLAIN_CODE_RUNS.append("between")
    second = await reverse.run(Item(name=first.text))
    return Texts(texts=[first.text, second.text])


async def _sleeper(item: Item, ctx: Context) -> Texts:
    before = await upper.run(item)
    await ctx.sleep("1h")
    after = await reverse.run(item)
    return Texts(texts=[before.text, after.text])


async def _retrying(item: Item, ctx: Context) -> Texts:
    return Texts(texts=[(await flaky.run(item)).text])


async def _clock(item: Item, ctx: Context) -> Texts:
    return Texts(texts=[(await now()).isoformat(), str(await uuid4())])


async def _bad_output(item: Item, ctx: Context) -> Texts:
    return {"texts": "not a list"}  # type: ignore[return-value]


async def _unsafe_wait(item: Item, ctx: Context) -> Texts:
    await asyncio.sleep(5)
    return Texts(texts=[])


sequence = define_workflow(slug="replay-sequence", input=Item, output=Texts, run=_sequence)
sleeper = define_workflow(slug="replay-sleeper", input=Item, output=Texts, run=_sleeper)
retrying = define_workflow(slug="replay-retrying", input=Item, output=Texts, run=_retrying)
clock_workflow = define_workflow(slug="replay-clock", input=Item, output=Texts, run=_clock)
bad_output = define_workflow(slug="replay-bad-output", input=Item, output=Texts, run=_bad_output)
unsafe_wait = define_workflow(slug="replay-unsafe-wait", input=Item, output=Texts, run=_unsafe_wait)


@pytest.fixture(autouse=True)
def _reset() -> None:
    CALLS.clear()
    PLAIN_CODE_RUNS.clear()
    ATTEMPTS.clear()


def test_it_records_each_step_and_replays_without_executing_again() -> None:
    log = MemoryEventLog()
    assert execute_workflow(sequence, {"name": "ada"}, log) == Completed({"texts": ["ADA", "ADA"]})
    assert CALLS == ["upper:ada", "reverse:ADA"]
    assert [r.step_id for r in log.records.values()] == [
        "step:replay-upper#0",
        "step:replay-reverse#0",
    ]

    assert execute_workflow(sequence, {"name": "ada"}, log) == Completed({"texts": ["ADA", "ADA"]})
    assert CALLS == ["upper:ada", "reverse:ADA"], "recorded steps must not run again"
    assert PLAIN_CODE_RUNS == ["between", "between"], "plain code between steps re-runs on replay"


def test_it_skips_a_step_seeded_in_the_log() -> None:
    log = MemoryEventLog.seeded({"step:replay-upper#0": {"text": "SEEDED"}})
    assert execute_workflow(sequence, {"name": "ada"}, log) == Completed(
        {"texts": ["SEEDED", "DEDEES"]}
    )
    assert CALLS == ["reverse:SEEDED"]


def test_it_raises_non_determinism_when_the_step_order_changed() -> None:
    log = MemoryEventLog.seeded({"step:replay-reverse#0": {"text": "x"}})
    outcome = execute_workflow(sequence, {"name": "ada"}, log)
    assert isinstance(outcome, Failed)
    assert outcome.error["type"] == "NonDeterminismError"
    assert "step:replay-reverse#0" in outcome.error["message"]
    assert "step:replay-upper#0" in outcome.error["message"]
    assert "deterministic" in outcome.error["message"]
    assert CALLS == []


def test_it_suspends_on_a_sleep_and_continues_when_it_is_due() -> None:
    log = MemoryEventLog()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    outcome = execute_workflow(sleeper, {"name": "ada"}, log, clock=lambda: start)
    assert isinstance(outcome, Suspended)
    assert [(i.kind, i.wake_at) for i in outcome.items] == [("sleep", start + timedelta(hours=1))]

    early = execute_workflow(
        sleeper, {"name": "ada"}, log, clock=lambda: start + timedelta(minutes=59)
    )
    assert isinstance(early, Suspended)
    done = execute_workflow(sleeper, {"name": "ada"}, log, clock=lambda: start + timedelta(hours=1))
    assert done == Completed({"texts": ["ADA", "ada"]})
    assert CALLS == ["upper:ada", "reverse:ada"]


def test_it_backs_off_durably_then_fails_with_every_attempts_error() -> None:
    log = MemoryEventLog()
    t = datetime(2026, 1, 1, tzinfo=UTC)
    first = execute_workflow(retrying, {"name": "x"}, log, clock=lambda: t)
    assert isinstance(first, Suspended) and first.items[0].kind == "retry"
    assert timedelta(seconds=4.5) <= first.wake_at - t <= timedelta(seconds=5.5)  # type: ignore[operator]
    later = t + timedelta(days=1)
    second = execute_workflow(retrying, {"name": "x"}, log, clock=lambda: later)
    assert isinstance(second, Suspended)
    final = execute_workflow(retrying, {"name": "x"}, log, clock=lambda: later + timedelta(days=1))
    assert isinstance(final, Failed)
    assert final.error["type"] == "RetriesExhausted"
    assert final.error["step_id"] == "step:replay-flaky#0"
    assert [a["message"] for a in final.error["attempts"]] == ["boom 1", "boom 2", "boom 3"]
    assert "ValueError: boom 3" in final.error["traceback"]
    assert ATTEMPTS == {"x": 3}


def test_it_does_not_retry_a_non_retryable_error() -> None:
    outcome = execute_workflow(retrying, {"name": "fatal"}, MemoryEventLog())
    assert isinstance(outcome, Failed)
    assert outcome.error["type"] == "StepFailed"
    assert ATTEMPTS == {"fatal": 1}


LEAKY = "Authorization: Bearer sk-live-0123456789abcdef, then postgres://app:hunter2hunter2@db/app"


def _leaky_step(item: Item) -> Text:
    raise NonRetryableError(f"CRM refused {item.name}: {LEAKY}")


leaky_step = define_action(slug="replay-leaky", input=Item, output=Text, run=_leaky_step)


async def _leaky(item: Item, ctx: Context) -> Text:
    if item.name == "in-step":
        return await leaky_step.run(item)
    raise RuntimeError(f"workflow gave up: {LEAKY}")


leaky = define_workflow(slug="replay-leaky-workflow", input=Item, output=Text, run=_leaky)


@pytest.mark.parametrize("where", ["in-step", "in-workflow"])
def test_secrets_in_an_error_are_redacted_in_its_message_traceback_and_attempts(where: str) -> None:
    outcome = execute_workflow(leaky, {"name": where}, MemoryEventLog())
    assert isinstance(outcome, Failed)
    stored = json.dumps(outcome.error)
    assert "0123456789abcdef" not in stored and "hunter2" not in stored, stored
    assert (
        "Bearer [redacted]" in outcome.error["message"]
        and "[redacted]" in outcome.error["traceback"]
    )
    assert all("[redacted]" in a["message"] for a in outcome.error.get("attempts", []))


def test_it_records_the_clock_and_uuids_so_replay_sees_the_same_values() -> None:
    log = MemoryEventLog()
    first = execute_workflow(clock_workflow, {"name": "x"}, log)
    second = execute_workflow(
        clock_workflow, {"name": "x"}, log, clock=lambda: datetime(2030, 1, 1, tzinfo=UTC)
    )
    assert first == second


def test_it_fails_with_output_validation_error_when_the_output_does_not_match() -> None:
    outcome = execute_workflow(bad_output, {"name": "x"}, MemoryEventLog())
    assert isinstance(outcome, Failed)
    assert outcome.error["type"] == "OutputValidationError"
    assert "Texts" in outcome.error["message"]


def test_it_fails_a_workflow_that_awaits_something_that_is_not_a_step() -> None:
    outcome = execute_workflow(unsafe_wait, {"name": "x"}, MemoryEventLog())
    assert isinstance(outcome, Failed)
    assert "ctx.sleep()" in outcome.error["message"]


def test_outputs_survive_a_json_round_trip() -> None:
    log = MemoryEventLog()
    execute_workflow(sequence, {"name": "ada"}, log)
    for record in log.records.values():
        assert json.loads(json.dumps(record.output)) == record.output


def test_actions_run_directly_outside_a_workflow() -> None:
    assert asyncio.run(upper.run({"name": "ada"})) == Text(text="ADA")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"slug": "Bad Slug"}, "lowercase letters"),
        ({"input": dict}, "pydantic BaseModel"),
        ({"run": lambda i, c: None}, r"async def run\(input, ctx\)"),
        ({"retries": -1}, "retries=-1"),
        ({"timeout": "soon"}, "not a duration"),
    ],
)
def test_definitions_refuse_bad_arguments_with_a_message_that_says_what_to_change(
    kwargs: dict, message: str
) -> None:
    args = {"slug": "fine-slug", "input": Item, "output": Text, "run": _sequence, **kwargs}
    with pytest.raises(ValueError, match=message):
        define_workflow(**args)
    assert registry.workflow("fine-slug") is None


def test_a_duplicate_slug_names_both_files() -> None:
    with pytest.raises(ValueError, match=r"test_replay\.py.*test_replay\.py|Two definitions"):
        define_workflow(slug="replay-sequence", input=Item, output=Texts, run=_sequence)


class Decision(BaseModel):
    approved: bool


async def _hooked(item: Item, ctx: Context) -> Texts:
    hook = ctx.hook("decision", schema=Decision, timeout="1d")
    published = await upper.run(Item(name=hook.resume_url))
    try:
        decision = await hook
    except HookTimeout:
        return Texts(texts=[published.text, "timed out"])
    return Texts(texts=[published.text, str(decision.approved)])


async def _parent(item: Item, ctx: Context) -> Texts:
    child = await sequence.run(item)
    return Texts(texts=["parent", *child.texts])


hooked = define_workflow(slug="replay-hooked", input=Item, output=Texts, run=_hooked)
parent = define_workflow(slug="replay-parent", input=Item, output=Texts, run=_parent)


def test_a_hook_suspends_with_a_stable_token_and_returns_the_resumed_payload() -> None:
    log = MemoryEventLog()
    first = execute_workflow(hooked, {"name": "x"}, log)
    assert isinstance(first, Suspended) and first.waits_on_others
    (item,) = first.items
    assert item.kind == "hook" and item.url == f"memory://hooks/{item.token}"
    again = execute_workflow(hooked, {"name": "x"}, log)
    assert isinstance(again, Suspended) and again.items[0].token == item.token, (
        "same token on every replay"
    )
    log.resume_hook(item.token or "", {"approved": True})
    assert execute_workflow(hooked, {"name": "x"}, log) == Completed(
        {"texts": [item.url.upper(), "True"]}
    )
    assert CALLS == [f"upper:{item.url}"]


def test_a_hook_not_resumed_in_time_raises_hook_timeout_in_the_workflow() -> None:
    log = MemoryEventLog()
    t = datetime(2026, 1, 1, tzinfo=UTC)
    first = execute_workflow(hooked, {"name": "x"}, log, clock=lambda: t)
    assert isinstance(first, Suspended) and first.wake_at == t + timedelta(days=1)
    outcome = execute_workflow(hooked, {"name": "x"}, log, clock=lambda: t + timedelta(days=2))
    assert isinstance(outcome, Completed) and outcome.output["texts"][1] == "timed out"


def test_a_child_workflow_runs_on_its_own_log_and_replays_from_the_parents() -> None:
    log = MemoryEventLog()
    assert execute_workflow(parent, {"name": "ada"}, log) == Completed(
        {"texts": ["parent", "ADA", "ADA"]}
    )
    assert [r.step_id for r in log.records.values()] == ["step:replay-sequence#0"]
    assert list(log.children) == ["run_memory.0"]
    CALLS.clear()
    assert execute_workflow(parent, {"name": "ada"}, log) == Completed(
        {"texts": ["parent", "ADA", "ADA"]}
    )
    assert CALLS == []


def _nan(item: Item) -> Text:
    ATTEMPTS["nan"] = ATTEMPTS.get("nan", 0) + 1
    return {"value": float("nan")}  # type: ignore[return-value]


class Score(BaseModel):
    value: float


nan_action = define_action(slug="replay-nan", input=Item, output=Score, run=_nan, retries=3)


def _exits(item: Item) -> Text:
    raise SystemExit(3)


exits = define_action(slug="replay-exits", input=Item, output=Text, run=_exits, retries=0)


async def _unstorable(item: Item, ctx: Context) -> Texts:
    score = await nan_action.run(item)
    return Texts(texts=[str(score.value)])


async def _exiting(item: Item, ctx: Context) -> Texts:
    return Texts(texts=[(await exits.run(item)).text])


unstorable = define_workflow(slug="replay-unstorable", input=Item, output=Texts, run=_unstorable)
exiting = define_workflow(slug="replay-exiting", input=Item, output=Texts, run=_exiting)


def test_an_output_json_cannot_store_fails_the_step_at_once_instead_of_looping() -> None:
    log = MemoryEventLog()
    outcome = execute_workflow(unstorable, {"name": "x"}, log)
    assert isinstance(outcome, Failed) and outcome.error["type"] == "StepFailed"
    assert "cannot be stored as JSON" in outcome.error["message"]
    assert ATTEMPTS == {"nan": 1}, "not retried: it would fail the same way every time"


def test_an_action_raising_system_exit_fails_its_step_not_the_worker() -> None:
    outcome = execute_workflow(exiting, {"name": "x"}, MemoryEventLog())
    assert isinstance(outcome, Failed) and outcome.error["attempts"][0]["type"] == "SystemExit"


def test_every_field_of_an_errors_own_to_dict_is_redacted() -> None:
    from workflows.engine import error_dict
    from workflows.errors import WorkflowError

    class Refused(WorkflowError):
        def to_dict(self) -> dict:
            return {
                **super().to_dict(),
                "response": {
                    "headers": {"Authorization": "Bearer abc123XYZ"},
                    "body": "token=t0k3n",
                },
            }

    error = error_dict(Refused("refused"))
    assert error["response"] == {
        "headers": {"Authorization": "[redacted]"},
        "body": "token=[redacted]",
    }


def test_an_error_keeps_the_names_of_its_type_and_step_whatever_they_look_like() -> None:
    from workflows.engine import error_dict
    from workflows.errors import StepFailed

    error = error_dict(
        StepFailed("step:secret:rotate#0", "step:secret:rotate#0 failed: password=hunter2", [])
    )
    assert error["step_id"] == "step:secret:rotate#0" and "hunter2" not in error["message"]
