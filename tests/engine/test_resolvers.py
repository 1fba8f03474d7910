"""How each kind of step is answered in a round: from the log, by waiting, or by executing it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from workflows.engine.kinds import FAILED, SLEEPING, SUCCESS, WAITING, StepKind
from workflows.engine.log import MemoryEventLog, StepRecord
from workflows.engine.resolvers import Deliver, Execute, Raise, Request, Wait, resolve
from workflows.errors import HookTimeout, StepFailed

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Ledger:
    """The pass as resolvers see it, over a memory log; every write is kept."""

    def __init__(self, *records: StepRecord) -> None:
        self.log = MemoryEventLog(list(records), run_id="run_1")
        self.records = self.log.load()
        self.clock = NOW
        self.written: list[StepRecord] = []

    def now(self) -> datetime:
        return self.clock

    def write(self, record: StepRecord) -> None:
        self.written.append(record)
        self.records[record.position] = record

    def parent_of(self, position: int) -> int | None:
        return 7 if position == 3 else None


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def ask(
    loop: asyncio.AbstractEventLoop, kind: StepKind, position: int = 0, **fields: object
) -> Request:
    key = {StepKind.SLEEP: "sleep", StepKind.HOOK: "approval"}.get(kind, "charge")
    return Request(position, f"step:{key}#0", kind, loop.create_future(), **fields)


def test_a_recorded_success_is_delivered_whatever_its_kind(loop: asyncio.AbstractEventLoop) -> None:
    ledger = Ledger(StepRecord(0, "step:charge#0", "action", SUCCESS, output={"id": "ch_1"}))
    assert resolve(ledger, ask(loop, StepKind.ACTION)) == Deliver({"id": "ch_1"})
    assert ledger.written == []


def test_a_recorded_failure_raises_the_same_error_again(loop: asyncio.AbstractEventLoop) -> None:
    error = {"type": "StepFailed", "message": "step:charge#0 failed: declined", "attempts": []}
    ledger = Ledger(StepRecord(0, "step:charge#0", "action", FAILED, error=error))
    resolution = resolve(ledger, ask(loop, StepKind.ACTION))
    assert isinstance(resolution, Raise) and type(resolution.error) is StepFailed
    assert str(resolution.error) == "step:charge#0 failed: declined"


def test_an_action_waits_for_its_retry_then_executes(loop: asyncio.AbstractEventLoop) -> None:
    later = NOW + timedelta(seconds=30)
    ledger = Ledger(StepRecord(0, "step:charge#0", "action", SLEEPING, wake_at=later))
    waiting = resolve(ledger, ask(loop, StepKind.ACTION))
    assert isinstance(waiting, Wait) and (waiting.item.kind, waiting.item.wake_at) == (
        "retry",
        later,
    )
    ledger.clock = later
    assert resolve(ledger, ask(loop, StepKind.MODEL)) == Execute()


def test_a_new_sleep_is_recorded_with_its_wake_up_and_waits(
    loop: asyncio.AbstractEventLoop,
) -> None:
    ledger = Ledger()
    resolution = resolve(ledger, ask(loop, StepKind.SLEEP, position=3, delay=timedelta(hours=1)))
    assert isinstance(resolution, Wait) and resolution.item.wake_at == NOW + timedelta(hours=1)
    [record] = ledger.written
    assert (record.status, record.wake_at, record.parent_position) == (
        SLEEPING,
        NOW + timedelta(hours=1),
        7,
    )
    assert record.input == {"until": "2026-03-01T10:00:00+00:00"}


def test_a_due_sleep_succeeds_and_delivers_nothing(loop: asyncio.AbstractEventLoop) -> None:
    wake = NOW - timedelta(seconds=1)
    ledger = Ledger(StepRecord(0, "step:sleep#0", "sleep", SLEEPING, wake_at=wake))
    assert resolve(ledger, ask(loop, StepKind.SLEEP)) == Deliver(None)
    assert [(r.status, r.finished_at) for r in ledger.written] == [(SUCCESS, NOW)]


def test_a_waiting_hook_is_waited_on_with_its_resume_url(loop: asyncio.AbstractEventLoop) -> None:
    hook = StepRecord(0, "step:approval#0", "hook", WAITING, token="t0k3n")
    resolution = resolve(Ledger(hook), ask(loop, StepKind.HOOK))
    assert isinstance(resolution, Wait)
    assert (resolution.item.kind, resolution.item.url) == ("hook", "memory://hooks/t0k3n")


def test_a_hook_past_its_timeout_fails_and_raises_hook_timeout(
    loop: asyncio.AbstractEventLoop,
) -> None:
    hook = StepRecord(0, "step:approval#0", "hook", WAITING, token="t", wake_at=NOW)
    ledger = Ledger(hook)
    resolution = resolve(ledger, ask(loop, StepKind.HOOK))
    assert isinstance(resolution, Raise) and isinstance(resolution.error, HookTimeout)
    assert [r.status for r in ledger.written] == [FAILED]
    assert ledger.written[0].error == resolution.error.to_dict()


def test_a_recorded_value_is_computed_once_and_recorded(loop: asyncio.AbstractEventLoop) -> None:
    ledger = Ledger()
    assert resolve(ledger, ask(loop, StepKind.UUID, compute=lambda: "4f1c")) == Deliver("4f1c")
    [record] = ledger.written
    assert (record.kind, record.status, record.output) == ("uuid", SUCCESS, "4f1c")
    assert resolve(ledger, ask(loop, StepKind.UUID, compute=lambda: "other")) == Deliver("4f1c")
