"""The ``Runtime`` of a pass: the steps workflow code asks for, queued for the next round.

Workflow code runs on the pass's event loop; each ask takes a slot (position and step id),
and either waits for the round to answer it (a future) or, for hooks and agent steps, records
what it must at once (written before the next round).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..errors import StepFailed, WorkflowError, restore_step_error
from ..storable import storable
from . import branches
from .failures import exception_detail, redacted
from .kinds import FAILED, SETTLED, SUCCESS, WAITING, StepKind
from .log import EventLog, StepRecord
from .positions import Allocator, Slot
from .resolvers import Request
from .runtime import Attributes, StepTarget, WorkflowDef
from .tracer import Tracer
from .workspaces import RunWorkspace

# The position of the agent or prompt_llm step whose body is running: steps asked for there
# are its children.
_parent: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "keystroke_parent_step", default=None
)


class Asks:
    """What workflow code asked for in this pass, and the slots its steps were given."""

    def __init__(
        self,
        log: EventLog,
        records: dict[int, StepRecord],
        loop: asyncio.AbstractEventLoop,
        clock: Callable[[], datetime],
        attempt: int,
        tracer: Tracer,
        workspace: RunWorkspace,
    ) -> None:
        self.log, self.records, self.loop, self.clock = log, records, loop, clock
        self._attempt, self.tracer, self._workspace = attempt, tracer, workspace
        versions = (log.version, log.code_version)
        self.slots = Allocator(log.run_id, records, log.per_branch_numbering, versions)
        self.parents: dict[int, int] = {}  # child position -> its agent/prompt_llm step's
        self.batch: list[Request] = []  # awaited steps, answered by the next round
        self.unflushed: list[StepRecord] = []  # written before the next round
        self.fatal: WorkflowError | None = None
        self.patches: dict[str, bool] = {}  # ctx.patched's answer, by change id

    @property
    def run_id(self) -> str:
        return self.log.run_id

    @property
    def attempt(self) -> int:
        return self._attempt

    def now(self) -> datetime:
        return self.clock()

    def hook_url(self, token: str) -> str:
        return self.log.hook_url(token)

    def workspace(self) -> Path | None:
        return self._workspace.path()

    async def run_step(
        self,
        kind: StepKind,
        key: str,
        target: StepTarget,
        input: Any,
        attributes: Attributes | None = None,
    ) -> Any:
        slot = self._allocate(key)
        return await self._await(
            slot, kind, input=input, target=target, attributes=attributes or {}
        )

    async def start_child(
        self,
        workflow: WorkflowDef,
        input: Any,
        tool_of: str | None = None,
    ) -> Any:
        slot = self._allocate(workflow.slug)
        return await self._await(
            slot, StepKind.WORKFLOW, input=input, workflow=workflow, tool_of=tool_of
        )

    async def sleep(self, delay: timedelta | None = None, until: datetime | None = None) -> None:
        await self._await(self._allocate("sleep"), StepKind.SLEEP, delay=delay, until=until)

    async def record_value(self, kind: StepKind, compute: Callable[[], Any]) -> Any:
        return await self._await(self._allocate(kind.value), kind, compute=compute)

    def patched(self, change_id: str) -> bool:
        """True where the run reaches ``change_id``'s new code path (a marker step records it),
        False where its history was recorded by the code before the change. A run gets one answer
        per change id: where it was asked first (a later call records nothing).
        """
        if change_id in self.patches:
            return self.patches[change_id]
        key = f"patch:{change_id}"
        taken = self.slots.marker_recorded(key, branches.branch_path()) is not False
        self.patches[change_id] = taken
        if not taken:
            return False
        slot = self._allocate(key)
        if slot.record is None:
            now = self.clock()
            marker = StepRecord(
                slot.position,
                slot.step_id,
                StepKind.PATCH.value,
                SUCCESS,
                input={"change_id": change_id},
                output=True,
                started_at=now,
                finished_at=now,
                parent_position=self.parents.get(slot.position),
            )
            self._queue(marker)
        return True

    def deprecate_patch(self, change_id: str) -> None:
        """Take the marker of ``change_id`` where the history has it, and record none."""
        key = f"patch:{change_id}"
        if self.slots.marker_recorded(key, branches.branch_path()):
            self._allocate(key)

    def open_hook(self, name: str, input: dict[str, Any], timeout: timedelta | None) -> StepRecord:
        slot = self._allocate(name)
        if slot.record is not None:
            return slot.record
        now = self.clock()
        record = StepRecord(
            slot.position,
            slot.step_id,
            StepKind.HOOK.value,
            WAITING,
            input=input,
            token=self.log.hook_token(slot.step_id),
            started_at=now,
            wake_at=now + timeout if timeout else None,
            parent_position=self.parents.get(slot.position),
        )
        self._queue(record)
        return record

    async def wait_hook(self, hook: StepRecord) -> Any:
        return await self._await(Slot(hook.position, hook.step_id, hook), StepKind.HOOK)

    async def composite(
        self, kind: StepKind, key: str, input: Any, body: Callable[[], Awaitable[Any]]
    ) -> Any:
        slot = self._allocate(key)
        position, step_id, record = slot.position, slot.step_id, slot.record
        settled = record is not None and record.status in SETTLED
        if record is None:
            record = StepRecord(
                position,
                step_id,
                kind.value,
                WAITING,
                input=input,
                started_at=self.clock(),
                parent_position=self.parents.get(position),
            )
            self._queue(record)
        if not settled:
            self.tracer.open(step_id, kind.value, self.parent_step_id(position))
        token, pinned = _parent.set(position), branches.pin()
        try:
            output = await body()
        except Exception as exc:
            if self.fatal is not None:
                raise
            if settled:
                raise restore_step_error(step_id, record.error or {}) from None
            self.tracer.close(step_id, exc)
            detail = getattr(exc, "to_dict", None)
            cause = storable(redacted(detail()) if callable(detail) else exception_detail(exc))
            message = f"{step_id} failed: {cause['type']}: {cause['message']}"
            error = StepFailed(step_id, message, [cause])
            failed = replace(record, status=FAILED, error=error.to_dict(), finished_at=self.clock())
            self._queue(failed)
            raise error from exc
        finally:
            branches.unpin(pinned)
            _parent.reset(token)
        if not settled:
            self.tracer.close(step_id, None)
            done = replace(
                record, status=SUCCESS, output=storable(output), finished_at=self.clock()
            )
            self._queue(done)
        return output

    def _allocate(self, key: str) -> Slot:
        try:
            slot = self.slots.allocate(key, branches.branch_path())
        except WorkflowError as exc:
            self.fatal = exc
            raise
        parent = _parent.get()
        if parent is not None:
            self.parents[slot.position] = parent
        return slot

    async def _await(self, slot: Slot, kind: StepKind, **fields: Any) -> Any:
        future = self.loop.create_future()
        self.batch.append(Request(slot.position, slot.step_id, kind, future, **fields))
        return await future

    def _queue(self, record: StepRecord) -> None:
        """Record from workflow code: written before the next round runs (a write may raise
        RunStopped).
        """
        self.records[record.position] = record
        self.unflushed.append(record)

    def parent_step_id(self, position: int) -> str | None:
        parent = self.parents.get(position)
        return self.records[parent].step_id if parent is not None else None
