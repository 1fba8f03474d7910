"""What workflow and step code receive as ``ctx``."""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from ..durations import parse_duration

if TYPE_CHECKING:
    from .replay import _Pass


_HOOK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*\Z")


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


def idempotency_key(run_id: str, step_id: str) -> str:
    return hashlib.sha256(f"{run_id}:{step_id}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class StepContext:
    """Handed to an action's function as its optional second parameter.

    Attributes:
        run_id: The run executing the step (``None`` when the action is called outside a run).
        step_id: ``step:<slug>#<n>``.
        attempt: 1 for the first attempt, 2 for the first retry, and so on.
        idempotency_key: Stable across attempts and replays: pass it to external systems so a
            repeated step (steps run at least once) does no harm.
        logger: A logger for this step.
        usage: The usage lines this attempt recorded (see ``charge``).
    """

    run_id: str | None
    step_id: str | None
    attempt: int
    idempotency_key: str | None
    logger: logging.Logger
    usage: list[dict[str, Any]] = field(default_factory=list)

    def charge(
        self, service: str, cost: Decimal | str | float, *, quantity: float = 1, unit: str = "call"
    ) -> None:
        """Declare a paid call to an external service, e.g. ``ctx.charge("clearbit", "0.02")``.

        It becomes a usage line of the run, adds to the step's and the run's cost, and puts
        ``service`` in the run's services used.
        """
        if not isinstance(service, str) or not service.strip():
            raise ValueError(
                f"ctx.charge(service={service!r}): name the service, e.g. ctx.charge('clearbit', "
                f"'0.02')."
            )
        try:
            price = Decimal(str(cost))
        except InvalidOperation:
            raise ValueError(
                f"ctx.charge({service!r}, cost={cost!r}): cost is an amount in USD, e.g. '0.02'."
            ) from None
        if not price.is_finite() or price < 0:
            raise ValueError(
                f"ctx.charge({service!r}, cost={cost!r}): cost must be a finite amount of at "
                f"least 0."
            )
        self.usage.append(
            {
                "kind": "service",
                "service": service.strip(),
                "quantity": str(quantity),
                "unit": unit,
                "cost": str(price),
            }
        )


class HookHandle:
    """A wait for a person or a system: publish ``resume_url``, then ``await`` the handle."""

    def __init__(self, pass_: _Pass, position: int, step_id: str, token: str, schema: Any) -> None:
        self._pass, self._position, self.step_id, self.token = pass_, position, step_id, token
        self._schema = schema
        self.resume_url = pass_.log.hook_url(token)

    def __await__(self) -> Generator[Any, None, Any]:
        payload = yield from self._pass.wait_for(self._position, self.step_id, "hook").__await__()
        return self._schema.model_validate(payload) if self._schema is not None else payload

    def __repr__(self) -> str:
        return f"<HookHandle {self.step_id} {self.resume_url}>"


class Context:
    """The second parameter of a workflow's ``run``: durable waits and run facts."""

    def __init__(self, pass_: _Pass, workflow: Any) -> None:
        self._pass = pass_
        self.workflow = workflow.slug
        self.run_id: str = pass_.log.run_id
        self.attempt: int = pass_.attempt
        self.logger = logging.getLogger(f"keystroke.workflow.{workflow.slug}")

    async def sleep(self, duration: float | str | timedelta) -> None:
        """Suspend the run for ``duration`` (seconds, ``"5m"``,
        ``"1h"``, ``"30d"`` or a timedelta).
        """
        delay = parse_duration(duration, "ctx.sleep(duration)")
        await self._pass.step("sleep", "sleep", delay=delay)

    async def sleep_until(self, when: datetime) -> None:
        """Suspend the run until ``when``, a timezone-aware datetime."""
        if not isinstance(when, datetime) or when.tzinfo is None:
            raise ValueError(
                f"ctx.sleep_until({when!r}) needs a timezone-aware datetime, e.g. datetime(..., "
                f"tzinfo=UTC)."
            )
        await self._pass.step("sleep", "sleep", until=when)

    def hook(
        self, name: str, schema: Any = None, timeout: float | str | timedelta | None = None
    ) -> HookHandle:
        """Open a hook named ``name``; ``await`` the handle to wait until it is resumed."""
        schema_path = _hook_schema_path(name, schema)
        delay = parse_duration(timeout, "ctx.hook(timeout=…)") if timeout is not None else None
        record = self._pass.open_hook(name, {"schema": schema_path}, delay)
        return HookHandle(self._pass, record.position, record.step_id, record.token or "", schema)

    async def now(self) -> datetime:
        """The current time, recorded so that replay sees the same value."""
        return await recorded_now(self._pass)

    async def uuid4(self) -> uuid.UUID:
        """A random UUID, recorded so that replay sees the same value."""
        return await recorded_uuid(self._pass)


async def recorded_now(pass_: _Pass) -> datetime:
    value = await pass_.step("now", "now", compute=lambda: pass_.clock().isoformat())
    return datetime.fromisoformat(value)


async def recorded_uuid(pass_: _Pass) -> uuid.UUID:
    value = await pass_.step("uuid", "uuid", compute=lambda: str(uuid.uuid4()))
    return uuid.UUID(value)
