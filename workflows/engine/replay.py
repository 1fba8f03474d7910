"""The lockstep driver: one durable pass of a workflow over its event log.

No Django or Celery here: the worker drives it with the database log and tests with
``MemoryEventLog``. The workflow coroutine runs on a private event loop in lockstep rounds:
the loop runs until every branch waits on a step; that round's steps are resolved from the
log or executed (concurrently, in threads); their results are delivered in position order;
repeat. Replay resolves recorded steps the same way, so each step finds its record again.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import (
    CopiedStepChanged,
    NonDeterminismError,
    RunStopped,
    WorkflowTimeout,
    WorkspaceError,
)
from ..retry import DEFAULT_POLICY
from . import branches
from .asking import Asks
from .attempts import Attempt, attempt_number, settle
from .context import Context
from .endings import ended, suspended
from .executor import StepExecutor, Stop, attempt_step, shared_executor
from .failures import error_dict, exception_detail
from .kinds import SUCCESS
from .log import EventLog, MemoryEventLog, StepRecord
from .outcomes import Completed, Failed, Outcome, SuspendItem
from .resolvers import Deliver, Execute, Raise, Request, Resolution, Wait, resolve
from .runtime import StepTarget, WorkflowDef, bind
from .step_context import StepContext, idempotency_key
from .tracer import NoTracer, Tracer
from .workspaces import RunWorkspace


def utcnow() -> datetime:
    return datetime.now(UTC)


def execute(
    workflow: WorkflowDef,
    input: Any,
    log: EventLog,
    *,
    clock: Callable[[], datetime] = utcnow,
    attempt: int = 1,
    stop: Stop | None = None,
    deadline: datetime | None = None,
    tracer: Tracer | None = None,
    drain: Stop | None = None,
    executor: StepExecutor = shared_executor,
) -> Outcome:
    """Run one durable pass of ``workflow`` and say how it ended.

    Raises RunStopped when ``stop`` is set or the log refuses a write (run canceled or
    lease lost): nothing more is recorded and the caller lets go of the run. ``drain`` (the
    worker is shutting down) raises RunStopped at the next step boundary instead, once the
    steps in flight have finished and are recorded, so the next worker repeats none of them.
    """
    if isinstance(log, MemoryEventLog) and log.run_child is None:
        log.run_child = execute  # its child workflows run inline, each on a log of its own
    pass_ = Pass(workflow, log, clock, attempt, stop, deadline, tracer or NoTracer(), drain)
    return pass_.run(input, executor)


class Pass:
    """One pass: runs the workflow coroutine in rounds and answers the steps it asks for."""

    def __init__(
        self,
        workflow: WorkflowDef,
        log: EventLog,
        clock: Callable[[], datetime],
        attempt: int,
        stop: Stop | None,
        deadline: datetime | None,
        tracer: Tracer,
        drain: Stop | None,
    ) -> None:
        self.workflow, self.log, self.clock = workflow, log, clock
        self.stop, self.deadline, self.tracer, self.drain = stop, deadline, tracer, drain
        self.records = log.load()
        self.loop = asyncio.new_event_loop()
        self.workspace = RunWorkspace(log, self.records, workflow.workspace)
        self.asks = Asks(log, self.records, self.loop, clock, attempt, tracer, self.workspace)
        self.waiting: list[SuspendItem] = []

    def now(self) -> datetime:
        return self.clock()

    def parent_of(self, position: int) -> int | None:
        return self.asks.parents.get(position)

    # -- driving the workflow coroutine ---------------------------------------------------------

    def run(self, input: Any, executor: StepExecutor) -> Outcome:
        context = contextvars.copy_context()
        bind(self.asks, context)
        ctx = Context(self.asks, self.workflow)
        main = branches.start_root(self.loop, self._main(input, ctx), context)
        try:
            while True:
                self._run_until_idle()
                if self.asks.fatal:
                    return Failed(error_dict(self.asks.fatal))
                if main.done():
                    self._flush()
                    return self._checked(ended(self.workflow, main))
                if self.deadline and self.clock() >= self.deadline:
                    timeout = WorkflowTimeout(f"Run {self.log.run_id} passed its timeout.")
                    return Failed(error_dict(timeout))
                batch = sorted(self.asks.batch, key=lambda r: r.position)
                self.asks.batch.clear()
                if not batch:
                    self._flush()  # a marker or hook recorded since the last round
                    return suspended(self.workflow, self.waiting, self.deadline)
                self._round(batch, executor)
        finally:
            main.cancel()
            self._run_until_idle()
            self.loop.close()
            self.workspace.close()

    def _checked(self, outcome: Outcome) -> Outcome:
        """A finished workflow must have asked for every recorded step: one it no longer asks for
        means the code changed under the run (or numbers its branches differently).
        """
        unclaimed = self.asks.slots.unclaimed() if self.log.per_branch_numbering else []
        if isinstance(outcome, Completed) and unclaimed:
            first = unclaimed[0]
            versions = self.asks.slots.versions
            changed = NonDeterminismError(
                self.log.run_id, first.position, first.step_id, "", first.copied, versions
            )
            return Failed(error_dict(changed))
        return outcome

    async def _main(self, input: Any, ctx: Context) -> Any:
        data = self.workflow.input.model_validate(input)
        return await self.workflow.fn(data, ctx)

    def _run_until_idle(self) -> None:
        while True:
            self.loop.call_soon(self.loop.stop)
            self.loop.run_forever()
            # asyncio has no public "nothing is ready" test; _ready is the run queue.
            if not self.loop._ready:  # type: ignore[attr-defined]
                return

    # -- one round: resolve, execute, record, deliver -----------------------------------------

    def _round(self, batch: list[Request], executor: StepExecutor) -> None:
        if self.stop is not None and self.stop.is_set():
            raise RunStopped
        self._flush()
        if self.drain is not None and self.drain.is_set():
            raise RunStopped
        to_execute = [r for r in batch if self._apply(r, self._resolve(r))]
        if not to_execute or self.asks.fatal:
            return
        try:
            workspace = self.workspace.path()
        except Exception as exc:  # a run whose files cannot come back cannot go on
            self.asks.fatal = _restore_failed(exc)
            return
        calls = [
            (self._attempt_call(r, workspace), _target(r).timeout, r.step_id) for r in to_execute
        ]
        attempts = executor.run(calls, self.stop, self.clock)
        digest = self._store_workspace(attempts)
        stamp = (digest, self.workspace.next_sequence() if digest else 0)
        for request, attempt in zip(to_execute, attempts, strict=True):
            self._after_attempt(request, attempt, stamp)

    def _store_workspace(self, attempts: list[Attempt]) -> str:
        """The workspace as the round's steps left it, stored. When it cannot be (over its
        limits, an unreadable file: non-retryable; the storage away: retried as the steps'
        policies say), each of them fails and the folder goes back to the state before them.
        """
        try:
            return self.workspace.snapshot()
        except Exception as exc:
            detail = exception_detail(exc)
            for i, attempt in enumerate(attempts):
                attempts[i] = replace(attempt, ok=False, output=None, exc=exc, detail=detail)
            try:
                self.workspace.roll_back()
            except Exception as failed:
                self.asks.fatal = _restore_failed(failed)
            return self.workspace.digest

    def _resolve(self, req: Request) -> Resolution:
        record = self.records.get(req.position)
        changed = record is not None and record.copied and req.input not in (None, record.input)
        if changed:
            # A copied output answers only the input it was recorded for: this run must stop.
            self.asks.fatal = error = CopiedStepChanged(self.log.run_id, req.step_id)
            return Raise(error)
        return resolve(self, req)

    def _apply(self, req: Request, resolution: Resolution) -> bool:
        """Settle the request's future, or say it must be executed."""
        match resolution:
            case Deliver(value):
                if not req.future.done():
                    req.future.set_result(value)
            case Raise(error):
                if not req.future.done():
                    req.future.set_exception(error)
            case Wait(item):
                self.waiting.append(item)
            case Execute():
                return True
        return False

    def _flush(self) -> None:
        while self.asks.unflushed:
            self.log.record(self.asks.unflushed.pop(0))

    def write(self, record: StepRecord) -> None:
        self.log.record(record)
        # Usage lines belong to the write that adds them; a later write of this step must not
        # repeat them.
        self.records[record.position] = replace(record, usage=[]) if record.usage else record

    def _attempt_call(self, req: Request, workspace: Path | None) -> Callable[[], Attempt]:
        target = _target(req)
        number = attempt_number(self.records.get(req.position))
        ctx = StepContext(
            self.log.run_id,
            req.step_id,
            number,
            idempotency_key(self.log.run_id, req.step_id),
            logging.getLogger(f"keystroke.step.{target.slug}"),
            workspace=workspace,
        )
        parent, started_at = self.asks.parent_step_id(req.position), self.clock()
        kind = req.kind.value
        return lambda: attempt_step(
            target, req.input, ctx, self.tracer, kind, parent, req.attributes, started_at
        )

    def _after_attempt(self, req: Request, attempt: Attempt, stamp: tuple[str, int]) -> None:
        target = _target(req)
        asked = StepRecord(
            req.position,
            req.step_id,
            req.kind.value,
            SUCCESS,
            input=req.input,
            parent_position=self.parent_of(req.position),
            workspace=stamp[0],
            workspace_seq=stamp[1],
        )
        policy = target.retries or self.workflow.retries or DEFAULT_POLICY
        previous = self.records.get(req.position)
        settled = settle(asked, attempt, policy, self.clock(), previous)
        self.write(settled.record)
        if settled.retry_at is not None:
            self._apply(req, Wait(SuspendItem("retry", req.step_id, wake_at=settled.retry_at)))
        elif settled.error is not None:
            self._apply(req, Raise(settled.error))
        else:
            self._apply(req, Deliver(attempt.output))


def _restore_failed(exc: Exception) -> WorkspaceError:
    if isinstance(exc, WorkspaceError):
        return exc
    return WorkspaceError(
        f"The run's workspace cannot be restored ({type(exc).__name__}: {exc}); retry the run "
        "once the workspace storage answers."
    )


def _target(req: Request) -> StepTarget:
    assert req.target is not None  # executed steps always have one
    return req.target
