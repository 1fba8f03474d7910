"""How each kind of step is answered in a round: from the log, by waiting, or by executing it.

A resolver looks at the request and the step's record and returns a resolution; it writes
the records its kind needs (a sleep's wake-up time, a hook's timeout, a recorded value) through
the ledger. Executed steps (actions, model requests) are left to the executor.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..errors import HookTimeout, restore_step_error
from .kinds import FAILED, SLEEPING, SUCCESS, WAITING, StepKind
from .log import EventLog, StepRecord
from .outcomes import SuspendItem
from .runtime import Attributes, StepTarget, WorkflowDef


@dataclass
class Request:
    """A step workflow code is awaiting in this round."""

    position: int
    step_id: str
    kind: StepKind
    future: asyncio.Future[Any]
    input: Any = None
    target: StepTarget | None = None
    workflow: WorkflowDef | None = None
    delay: timedelta | None = None
    until: datetime | None = None
    compute: Callable[[], Any] | None = None
    tool_of: str | None = None  # the agent slug, when a workflow runs as an agent's tool
    attributes: Attributes = field(default_factory=dict)  # extra span attributes


@dataclass(frozen=True)
class Deliver:
    value: Any


@dataclass(frozen=True)
class Raise:
    error: BaseException


@dataclass(frozen=True)
class Wait:
    item: SuspendItem


@dataclass(frozen=True)
class Execute:
    pass


Resolution = Deliver | Raise | Wait | Execute


class Ledger(Protocol):
    """What resolvers need of the pass: its log, its records, its clock, and writing."""

    log: EventLog
    records: dict[int, StepRecord]

    def now(self) -> datetime: ...

    def write(self, record: StepRecord) -> None: ...

    def parent_of(self, position: int) -> int | None: ...


def resolve(ledger: Ledger, req: Request) -> Resolution:
    record = ledger.records.get(req.position)
    if record is not None and record.status == SUCCESS:
        return Deliver(record.output)
    if record is not None and record.status == FAILED:
        return Raise(restore_step_error(req.step_id, record.error or {}))
    return _RESOLVERS[req.kind](ledger, req, record)


def _executed(ledger: Ledger, req: Request, record: StepRecord | None) -> Resolution:
    """An action or model request: executed now, unless its retry backoff has not passed."""
    if record is not None and record.wake_at and ledger.now() < record.wake_at:
        return Wait(SuspendItem("retry", req.step_id, wake_at=record.wake_at))
    return Execute()


def _sleep(ledger: Ledger, req: Request, record: StepRecord | None) -> Resolution:
    now = ledger.now()
    if record is None:
        wake_at = req.until if req.until is not None else now + (req.delay or timedelta())
        record = StepRecord(
            req.position,
            req.step_id,
            StepKind.SLEEP.value,
            SLEEPING,
            input={"until": wake_at.isoformat()},
            started_at=now,
            wake_at=wake_at,
            parent_position=ledger.parent_of(req.position),
        )
    assert record.wake_at is not None
    if now < record.wake_at:
        if record.position not in ledger.records:
            ledger.write(record)
        return Wait(SuspendItem("sleep", req.step_id, wake_at=record.wake_at))
    ledger.write(replace(record, status=SUCCESS, finished_at=now))
    return Deliver(None)


def _hook(ledger: Ledger, req: Request, record: StepRecord | None) -> Resolution:
    assert record is not None  # opened by Context.hook before it can be awaited
    now = ledger.now()
    if record.wake_at and now >= record.wake_at:
        run_id = ledger.log.run_id
        error = HookTimeout(
            req.step_id, f"Hook {req.step_id} of run {run_id} was not resumed in time."
        )
        ledger.write(replace(record, status=FAILED, error=error.to_dict(), finished_at=now))
        return Raise(error)
    url = ledger.log.hook_url(record.token or "")
    return Wait(SuspendItem("hook", req.step_id, record.wake_at, record.token, url))


def _workflow(ledger: Ledger, req: Request, record: StepRecord | None) -> Resolution:
    if record is None:
        record = StepRecord(
            req.position,
            req.step_id,
            StepKind.WORKFLOW.value,
            WAITING,
            input=req.input,
            started_at=ledger.now(),
            parent_position=ledger.parent_of(req.position),
        )
        record = ledger.log.start_child(record, req.workflow, req.input, req.tool_of)
        ledger.records[req.position] = record
    if record.status == SUCCESS:
        return Deliver(record.output)
    if record.status == FAILED:
        return Raise(restore_step_error(req.step_id, record.error or {}))
    return Wait(SuspendItem("child", req.step_id, child_run_id=record.child_run_id))


def _value(ledger: Ledger, req: Request, record: StepRecord | None) -> Resolution:
    """``now`` and ``uuid``: computed once, then always the recorded value."""
    assert req.compute is not None
    now = ledger.now()
    value = req.compute()
    ledger.write(
        StepRecord(
            req.position,
            req.step_id,
            req.kind.value,
            SUCCESS,
            output=value,
            started_at=now,
            finished_at=now,
            parent_position=ledger.parent_of(req.position),
        )
    )
    return Deliver(value)


_RESOLVERS: dict[StepKind, Callable[[Ledger, Request, StepRecord | None], Resolution]] = {
    StepKind.ACTION: _executed,
    StepKind.MODEL: _executed,  # a model call is retried like an action
    StepKind.SLEEP: _sleep,
    StepKind.HOOK: _hook,
    StepKind.WORKFLOW: _workflow,
    StepKind.NOW: _value,
    StepKind.UUID: _value,
}
