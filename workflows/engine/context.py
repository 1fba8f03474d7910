"""What workflow and step code receive as ``ctx``."""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Generator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ..durations import parse_duration
from ..errors import WorkspaceError
from .kinds import StepKind
from .log import StepRecord
from .runtime import Runtime, WorkflowDef

_HOOK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")
_CHANGE_ID = re.compile(r"[a-z0-9][a-z0-9_.-]{0,99}\Z")


def _change_id(call: str, change_id: Any) -> str:
    if not isinstance(change_id, str) or not _CHANGE_ID.match(change_id):
        raise ValueError(
            f"{call}({change_id!r}): the change id must be 1 to 100 of a-z 0-9 _ . - starting "
            "with a letter or digit, e.g. 'send-receipt-by-email'."
        )
    return change_id


def _hook_schema_path(name: str, schema: Any) -> str | None:
    """Check ctx.hook's arguments; return the import path the server validates payloads with."""
    if not isinstance(name, str) or not _HOOK_NAME.match(name):
        raise ValueError(
            f"ctx.hook({name!r}): the name must match [a-z0-9][a-z0-9_-]*, e.g. 'approval'."
        )
    if schema is None:
        return None
    if not (isinstance(schema, type) and hasattr(schema, "model_validate")):
        raise ValueError(
            f"ctx.hook({name!r}, schema={schema!r}): schema must be a pydantic BaseModel subclass."
        )
    if "<locals>" in schema.__qualname__:
        raise ValueError(
            f"ctx.hook({name!r}, schema={schema.__qualname__}): define the schema at module level, "
            "so the server can import it to validate resumes."
        )
    return f"{schema.__module__}:{schema.__qualname__}"


class HookHandle:
    """A wait for a person or a system: publish ``resume_url``, then ``await`` the handle."""

    def __init__(self, runtime: Runtime, record: StepRecord, schema: Any) -> None:
        self._runtime, self._record, self._schema = runtime, record, schema
        self.step_id, self.token = record.step_id, record.token or ""
        self.resume_url = runtime.hook_url(self.token)

    def __await__(self) -> Generator[Any, None, Any]:
        payload = yield from self._runtime.wait_hook(self._record).__await__()
        return self._schema.model_validate(payload) if self._schema is not None else payload

    def __repr__(self) -> str:
        return f"<HookHandle {self.step_id} {self.resume_url}>"


class Context:
    """The second parameter of a workflow's ``run``: durable waits and run facts."""

    def __init__(self, runtime: Runtime, workflow: WorkflowDef) -> None:
        self._runtime = runtime
        self.workflow = workflow.slug
        self.run_id: str = runtime.run_id
        self.attempt: int = runtime.attempt
        self.logger = logging.getLogger(f"keystroke.workflow.{workflow.slug}")

    @property
    def workspace(self) -> Path:
        """The run's workspace folder (``define_workflow(..., workspace=True)``).

        Change its files in steps (actions through ``StepContext.workspace``, agent tools,
        ``ctx.run_command``): each step's changes are stored when it finishes. Code here, between
        steps, runs again on every replay, and reads the files as the latest step left them.
        """
        path = self._runtime.workspace()
        if path is None:
            raise WorkspaceError(
                f"ctx.workspace: workflow {self.workflow!r} has no workspace; define it with "
                "define_workflow(..., workspace=True)."
            )
        return path

    async def sleep(self, duration: float | str | timedelta) -> None:
        """Suspend the run for ``duration``: seconds, ``"5m"``, ``"1h"``, ``"30d"`` or a
        timedelta.
        """
        await self._runtime.sleep(delay=parse_duration(duration, "ctx.sleep(duration)"))

    async def sleep_until(self, when: datetime) -> None:
        """Suspend the run until ``when``, a timezone-aware datetime."""
        if not isinstance(when, datetime) or when.tzinfo is None:
            raise ValueError(
                f"ctx.sleep_until({when!r}) needs a timezone-aware datetime, "
                "e.g. datetime(..., tzinfo=UTC)."
            )
        await self._runtime.sleep(until=when)

    def hook(
        self, name: str, schema: Any = None, timeout: float | str | timedelta | None = None
    ) -> HookHandle:
        """Open a hook named ``name``; ``await`` the handle to wait until it is resumed."""
        schema_path = _hook_schema_path(name, schema)
        delay = parse_duration(timeout, "ctx.hook(timeout=…)") if timeout is not None else None
        record = self._runtime.open_hook(name, {"schema": schema_path}, delay)
        return HookHandle(self._runtime, record, schema)

    def patched(self, change_id: str) -> bool:
        """Whether this run takes the new code path of the change ``change_id``.

        True for a run that reaches this point on code that has the change (recorded as a
        marker step, so its replays say True again); False for a run whose history was recorded
        here by the code before the change, so it replays the old path::

            if ctx.patched("receipt-by-email"):
                await send_email(receipt)
            else:
                await send_letter(receipt)

        Once no run started before the change is left, drop the old path and call
        ``ctx.deprecate_patch("receipt-by-email")`` in place of the ``if``.
        """
        return self._runtime.patched(_change_id("ctx.patched", change_id))

    def deprecate_patch(self, change_id: str) -> None:
        """Mark where a ``ctx.patched(change_id)`` was, once its old code path is gone: runs that
        recorded its marker still replay, new runs record nothing. Delete this call in turn when
        no run that took the marker is left.
        """
        self._runtime.deprecate_patch(_change_id("ctx.deprecate_patch", change_id))

    async def now(self) -> datetime:
        """The current time, recorded so that replay sees the same value."""
        return await recorded_now(self._runtime)

    async def uuid4(self) -> uuid.UUID:
        """A random UUID, recorded so that replay sees the same value."""
        return await recorded_uuid(self._runtime)


async def recorded_now(runtime: Runtime) -> datetime:
    value = await runtime.record_value(StepKind.NOW, lambda: runtime.now().isoformat())
    return datetime.fromisoformat(value)


async def recorded_uuid(runtime: Runtime) -> uuid.UUID:
    value = await runtime.record_value(StepKind.UUID, lambda: str(uuid.uuid4()))
    return uuid.UUID(value)
