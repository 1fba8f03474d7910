"""The replay core: one durable pass of a workflow over an event log.

No Django or Celery here: the worker drives it with the database log and tests with
``MemoryEventLog``. The workflow coroutine runs on a private event loop in lockstep rounds:
the loop runs until every branch waits on a step; that round's steps are resolved from the
log or executed (concurrently, in threads); their results are delivered in position order;
repeat. Replay resolves recorded steps the same way, so a run with ``asyncio.gather``
asks for its steps in the same order every time.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import logging
import re
import traceback
from collections import defaultdict
from collections.abc import Awaitable, Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from ..errors import (
    ChildWorkflowFailed,
    HookTimeout,
    NonDeterminismError,
    OutputValidationError,
    RetriesExhausted,
    RunStopped,
    StepFailed,
    StepTimeout,
    WorkflowError,
    WorkflowTimeout,
    restore_step_error,
)
from ..redact import redact, redact_text
from ..retry import DEFAULT_POLICY
from .context import Context, StepContext, idempotency_key
from .log import FAILED, SLEEPING, SUCCESS, WAITING, EventLog, StepRecord

logger = logging.getLogger("keystroke.engine")

_current: contextvars.ContextVar[_Pass | None] = contextvars.ContextVar(
    "keystroke_pass", default=None
)
# The position of the agent or prompt_llm step whose body is running: steps asked for there are its
# children.
_parent: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "keystroke_parent_step", default=None
)
# Span attributes for the next step asked for in this context, e.g. an agent's tool call.
step_attributes: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar(
    "keystroke_step_attributes", default=None
)
_executor: ThreadPoolExecutor | None = None


def current_pass() -> _Pass | None:
    """The pass whose workflow code is running in this context, if any."""
    return _current.get()


def utcnow() -> datetime:
    return datetime.now(UTC)


class Stop(Protocol):
    def is_set(self) -> bool: ...


class StepSpan(Protocol):
    def failed(self, exc: BaseException) -> None: ...


class Tracer(Protocol):
    """Spans for steps, e.g. OpenTelemetry ones (``workflows.tracing``).

    ``step`` wraps one attempt of an executed step; ``open``/``close`` bracket an agent or
    prompt_llm step across rounds. ``parent`` is the step id of the enclosing one, if any.
    """

    def step(
        self, step_id: str, kind: str, attempt: int, parent: str | None, attributes: dict[str, Any]
    ) -> AbstractContextManager[StepSpan]: ...

    def open(self, step_id: str, kind: str, parent: str | None) -> None: ...

    def close(self, step_id: str, exc: BaseException | None) -> None: ...


class _NoSpan:
    def failed(self, exc: BaseException) -> None:
        pass


class _NoTracer:
    def step(
        self, step_id: str, kind: str, attempt: int, parent: str | None, attributes: dict[str, Any]
    ) -> AbstractContextManager[StepSpan]:
        return nullcontext(_NoSpan())

    def open(self, step_id: str, kind: str, parent: str | None) -> None:
        pass

    def close(self, step_id: str, exc: BaseException | None) -> None:
        pass


@dataclass(frozen=True)
class SuspendItem:
    """What a suspended run waits on."""

    kind: str  # "sleep", "retry", "hook" or "child"
    step_id: str
    wake_at: datetime | None = None
    token: str | None = None
    url: str | None = None
    child_run_id: str | None = None


@dataclass(frozen=True)
class Completed:
    output: Any


@dataclass(frozen=True)
class Failed:
    error: dict[str, Any]


@dataclass(frozen=True)
class Suspended:
    items: list[SuspendItem]
    wake_at: datetime | None = None

    @property
    def waits_on_others(self) -> bool:
        """True when a person or another run must act (status ``waiting``), not just the clock."""
        return any(item.kind in ("hook", "child") for item in self.items)


Outcome = Completed | Failed | Suspended


@dataclass
class _Request:
    position: int
    step_id: str
    kind: str
    future: asyncio.Future[Any]
    input: Any = None
    target: Any = None
    delay: timedelta | None = None
    until: datetime | None = None
    compute: Callable[[], Any] | None = None
    tool_of: str | None = None  # the agent slug, when a workflow runs as an agent's tool
    attributes: dict[str, Any] = field(default_factory=dict)  # extra span attributes


@dataclass
class _Attempt:
    ok: bool
    output: Any = None
    exc: BaseException | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    usage: list[dict[str, Any]] = field(default_factory=list)


def execute(
    workflow: Any,
    input: Any,
    log: EventLog,
    *,
    clock: Callable[[], datetime] = utcnow,
    attempt: int = 1,
    stop: Stop | None = None,
    deadline: datetime | None = None,
    tracer: Tracer | None = None,
    drain: Stop | None = None,
) -> Outcome:
    """Run one durable pass of ``workflow`` and say how it ended.

    Raises RunStopped when ``stop`` is set or the log refuses a write (run canceled or
    lease lost): nothing more is recorded and the caller lets go of the run. ``drain`` (the
    worker is shutting down) raises RunStopped at the next step boundary instead, once the
    steps in flight have finished and are recorded, so the next worker repeats none of them.
    """
    return _Pass(workflow, log, clock, attempt, stop, deadline, tracer or _NoTracer(), drain).run(
        input
    )


class _Pass:
    def __init__(
        self,
        workflow: Any,
        log: EventLog,
        clock: Callable[[], datetime],
        attempt: int,
        stop: Stop | None,
        deadline: datetime | None,
        tracer: Tracer,
        drain: Stop | None = None,
    ) -> None:
        self.workflow, self.log, self.clock, self.attempt = workflow, log, clock, attempt
        self.stop, self.deadline, self.tracer, self.drain = stop, deadline, tracer, drain
        self.records = log.load()
        self.next_position = 0
        self.key_counts: defaultdict[str, int] = defaultdict(int)
        # child position -> enclosing agent/prompt_llm step position
        self.parents: dict[int, int] = {}
        self.batch: list[_Request] = []
        self.waiting: list[tuple[_Request, SuspendItem]] = []
        self.unflushed: list[StepRecord] = []
        self.fatal: WorkflowError | None = None
        self.loop = asyncio.new_event_loop()

    # -- driving the workflow coroutine -------------------------------------------------

    def run(self, input: Any) -> Outcome:
        context = contextvars.copy_context()
        context.run(_current.set, self)
        ctx = Context(self, self.workflow)
        main = self.loop.create_task(self._main(input, ctx), context=context)
        try:
            while True:
                self._run_until_idle()
                if self.fatal:
                    return Failed(error_dict(self.fatal))
                if main.done():
                    self._flush()
                    return self._finish(main)
                if self.deadline and self.clock() >= self.deadline:
                    return Failed(
                        error_dict(WorkflowTimeout(f"Run {self.log.run_id} passed its timeout."))
                    )
                batch, self.batch = sorted(self.batch, key=lambda r: r.position), []
                if not batch:
                    return self._suspended()
                self._process(batch)
        finally:
            main.cancel()
            self._run_until_idle()
            self.loop.close()

    async def _main(self, input: Any, ctx: Context) -> Any:
        data = self.workflow.input.model_validate(input)
        return await self.workflow.fn(data, ctx)

    def _run_until_idle(self) -> None:
        while True:
            self.loop.call_soon(self.loop.stop)
            self.loop.run_forever()
            # asyncio has no public "nothing is ready" test; _ready is the run queue.
            if not self.loop._ready:  # type: ignore[attr-defined]  # noqa: SLF001
                return

    def _finish(self, main: asyncio.Task[Any]) -> Outcome:
        if main.cancelled():
            return Failed(
                {
                    "type": "CancelledError",
                    "message": "The workflow coroutine was cancelled.",
                    "step_id": None,
                }
            )
        exc = main.exception()
        if exc is not None:
            return Failed(error_dict(exc))
        result = main.result()
        what = f"Workflow {self.workflow.slug!r}"
        try:
            output = self.workflow.output.model_validate(_plain(result)).model_dump(mode="json")
            check_storable(output, what)
        except OutputValidationError as err:
            return Failed(error_dict(err))
        except Exception as err:  # pydantic.ValidationError, kept generic: no pydantic import here
            message = (
                f"{what} returned a value that does not match "
                f"{self.workflow.output.__name__}: {err}"
            )
            return Failed(error_dict(OutputValidationError(message)))
        return Completed(output)

    def _suspended(self) -> Outcome:
        if not self.waiting:
            message = (
                f"Workflow {self.workflow.slug!r} awaited something that is not a durable step "
                "(such as asyncio.sleep or a network call): use ctx.sleep() for waits and put I/O "
                "in an action."
            )
            return Failed(error_dict(WorkflowError(message)))
        items = [item for _, item in self.waiting]
        wakes = [item.wake_at for item in items if item.wake_at] + (
            [self.deadline] if self.deadline else []
        )
        return Suspended(items, min(wakes) if wakes else None)

    # -- called from workflow code --------------------------------------------------------

    def allocate(self, key: str, kind: str) -> tuple[int, str, StepRecord | None]:
        position = self.next_position
        self.next_position += 1
        step_id = f"step:{key}#{self.key_counts[key]}"
        self.key_counts[key] += 1
        parent = _parent.get()
        if parent is not None:
            self.parents[position] = parent
        record = self.records.get(position)
        if record is not None and record.step_id != step_id:
            self.fatal = NonDeterminismError(self.log.run_id, position, record.step_id, step_id)
            raise self.fatal
        return position, step_id, record

    async def step(self, kind: str, key: str, **fields: Any) -> Any:
        position, step_id, _ = self.allocate(key, kind)
        extra = step_attributes.get()
        if extra:
            fields["attributes"] = {**extra, **fields.get("attributes", {})}
        return await self.wait_for(position, step_id, kind, **fields)

    async def wait_for(self, position: int, step_id: str, kind: str, **fields: Any) -> Any:
        future = self.loop.create_future()
        self.batch.append(_Request(position, step_id, kind, future, **fields))
        return await future

    def open_hook(self, name: str, input: dict[str, Any], timeout: timedelta | None) -> StepRecord:
        """Record a hook when first asked for, so its URL works before the run waits on it."""
        position, step_id, record = self.allocate(name, "hook")
        if record is None:
            now = self.clock()
            token = self.log.hook_token(step_id)
            record = StepRecord(
                position,
                step_id,
                "hook",
                WAITING,
                input=input,
                token=token,
                started_at=now,
                wake_at=now + timeout if timeout else None,
                parent_position=self.parents.get(position),
            )
            self.records[position] = record
            self.unflushed.append(record)
        return record

    async def composite(
        self, kind: str, key: str, input: Any, body: Callable[[], Awaitable[Any]]
    ) -> Any:
        """Run ``body`` as one step (an agent prompt, a prompt_llm) whose own steps are its
        children.

        The body runs again on every replay, so its children are asked for in the same order
        and answered from the log: a finished model call is never made twice.
        """
        position, step_id, record = self.allocate(key, kind)
        settled = record is not None and record.status in (SUCCESS, FAILED)
        if record is None:
            record = StepRecord(
                position,
                step_id,
                kind,
                WAITING,
                input=input,
                started_at=self.clock(),
                parent_position=self.parents.get(position),
            )
            self._queue(record)
        parent = self.parents.get(position)
        if not settled:
            self.tracer.open(
                step_id, kind, self.records[parent].step_id if parent is not None else None
            )
        # a tool call's are not its children's
        token, attributes = (
            _parent.set(position),
            step_attributes.set(None),
        )
        try:
            output = await body()
        except Exception as exc:
            if self.fatal is not None:
                raise
            if settled:
                raise restore_step_error(step_id, record.error or {}) from None
            self.tracer.close(step_id, exc)
            detail = getattr(exc, "to_dict", None)
            cause = storable(_redacted(detail()) if callable(detail) else _exc_detail(exc))
            error = StepFailed(
                step_id, f"{step_id} failed: {cause['type']}: {cause['message']}", [cause]
            )
            self._queue(
                replace(record, status=FAILED, error=error.to_dict(), finished_at=self.clock())
            )
            raise error from exc
        finally:
            _parent.reset(token)
            step_attributes.reset(attributes)
        if not settled:
            self.tracer.close(step_id, None)
            self._queue(
                replace(record, status=SUCCESS, output=storable(output), finished_at=self.clock())
            )
        return output

    def _queue(self, record: StepRecord) -> None:
        """Record from workflow code: written before the next round runs (a write may raise
        RunStopped).
        """
        self.records[record.position] = record
        self.unflushed.append(record)

    # -- resolving a round of steps ---------------------------------------------------------

    def _process(self, batch: list[_Request]) -> None:
        if self.stop is not None and self.stop.is_set():
            raise RunStopped
        self._flush()
        if self.drain is not None and self.drain.is_set():
            raise RunStopped
        to_execute = [r for r in batch if self._resolve(r)]
        if to_execute:
            for request, attempt in zip(to_execute, self._execute_all(to_execute), strict=True):
                self._after_attempt(request, attempt)

    def _flush(self) -> None:
        while self.unflushed:
            self.log.record(self.unflushed.pop(0))

    def _resolve(self, req: _Request) -> bool:
        """Settle a request from the log, or return True if it must be executed now."""
        record = self.records.get(req.position)
        if record is not None and record.status == SUCCESS:
            return self._deliver(req, record.output)
        if record is not None and record.status == FAILED:
            return self._raise(req, restore_step_error(req.step_id, record.error or {}))
        handler = getattr(self, f"_resolve_{req.kind}", None)
        if handler is None:
            return True
        return bool(handler(req, record))

    def _resolve_action(self, req: _Request, record: StepRecord | None) -> bool:
        if record is not None and record.wake_at and self.clock() < record.wake_at:
            return self._suspend(req, SuspendItem("retry", req.step_id, wake_at=record.wake_at))
        return True

    _resolve_model = _resolve_action  # a model call is retried like an action

    def _resolve_sleep(self, req: _Request, record: StepRecord | None) -> bool:
        now = self.clock()
        if record is None:
            wake_at = req.until if req.until is not None else now + (req.delay or timedelta())
            record = StepRecord(
                req.position,
                req.step_id,
                "sleep",
                SLEEPING,
                input={"until": wake_at.isoformat()},
                started_at=now,
                wake_at=wake_at,
                parent_position=self.parents.get(req.position),
            )
        if now < record.wake_at:  # type: ignore[operator]
            if record.position not in self.records:
                self._write(record)
            return self._suspend(req, SuspendItem("sleep", req.step_id, wake_at=record.wake_at))
        self._write(replace(record, status=SUCCESS, finished_at=now))
        return self._deliver(req, None)

    def _resolve_hook(self, req: _Request, record: StepRecord | None) -> bool:
        assert record is not None  # opened by Context.hook before it can be awaited
        now = self.clock()
        if record.wake_at and now >= record.wake_at:
            error = HookTimeout(
                req.step_id, f"Hook {req.step_id} of run {self.log.run_id} was not resumed in time."
            )
            self._write(replace(record, status=FAILED, error=error.to_dict(), finished_at=now))
            return self._raise(req, error)
        item = SuspendItem(
            "hook", req.step_id, record.wake_at, record.token, self.log.hook_url(record.token or "")
        )
        return self._suspend(req, item)

    def _resolve_workflow(self, req: _Request, record: StepRecord | None) -> bool:
        if record is None:
            record = StepRecord(
                req.position,
                req.step_id,
                "workflow",
                WAITING,
                input=req.input,
                started_at=self.clock(),
                parent_position=self.parents.get(req.position),
            )
            record = self.log.start_child(record, req.target, req.input, req.tool_of)
            self.records[req.position] = record
        if record.status == SUCCESS:
            return self._deliver(req, record.output)
        if record.status == FAILED:
            return self._raise(req, restore_step_error(req.step_id, record.error or {}))
        return self._suspend(
            req, SuspendItem("child", req.step_id, child_run_id=record.child_run_id)
        )

    def _resolve_value(self, req: _Request, record: StepRecord | None) -> bool:
        assert req.compute is not None
        now = self.clock()
        value = req.compute()
        self._write(
            StepRecord(
                req.position,
                req.step_id,
                req.kind,
                SUCCESS,
                output=value,
                started_at=now,
                finished_at=now,
                parent_position=self.parents.get(req.position),
            )
        )
        return self._deliver(req, value)

    _resolve_now = _resolve_uuid = _resolve_value

    def _deliver(self, req: _Request, value: Any) -> bool:
        if not req.future.done():
            req.future.set_result(value)
        return False

    def _raise(self, req: _Request, exc: BaseException) -> bool:
        if not req.future.done():
            req.future.set_exception(exc)
        return False

    def _suspend(self, req: _Request, item: SuspendItem) -> bool:
        self.waiting.append((req, item))
        return False

    def _write(self, record: StepRecord) -> None:
        self.log.record(record)
        # Usage lines belong to the write that adds them; a later write of this step must not repeat
        # them.
        self.records[record.position] = replace(record, usage=[]) if record.usage else record

    # -- executing actions --------------------------------------------------------------------

    def _execute_all(self, requests: list[_Request]) -> list[_Attempt]:
        if len(requests) == 1 and requests[0].target.timeout is None:
            # Nothing to run beside it and no deadline to enforce: spare the thread hand-off.
            return [self._attempt(requests[0], self.clock())]
        global _executor
        # created on first use, so that forked workers each get their own threads
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=32, thread_name_prefix="keystroke-step")
        futures = [_executor.submit(self._attempt, r, self.clock()) for r in requests]
        timeouts = [
            r.target.timeout.total_seconds() if r.target.timeout else None for r in requests
        ]
        started = self.clock()
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            if self.stop is not None and self.stop.is_set():
                raise RunStopped
            elapsed = (self.clock() - started).total_seconds()
            for future, limit in zip(futures, timeouts, strict=True):
                if future in pending and limit is not None and elapsed >= limit:
                    pending.discard(future)  # a thread cannot be killed; its late result is dropped
        return [self._collect(f, r, started) for f, r in zip(futures, requests, strict=True)]

    def _collect(self, future: Future[_Attempt], req: _Request, started: datetime) -> _Attempt:
        if future.done():
            return future.result()
        limit = req.target.timeout.total_seconds()
        exc = StepTimeout(f"{req.step_id} ran longer than its timeout of {limit:g}s.")
        return _Attempt(
            False, exc=exc, started_at=started, finished_at=self.clock(), detail=_exc_detail(exc)
        )

    def _attempt(self, req: _Request, started_at: datetime) -> _Attempt:
        record = self.records.get(req.position)
        number = len(record.attempts) + 1 if record else 1
        key = idempotency_key(self.log.run_id, req.step_id)
        step_ctx = StepContext(
            self.log.run_id,
            req.step_id,
            number,
            key,
            logging.getLogger(f"keystroke.step.{req.target.slug}"),
        )
        parent = self.parents.get(req.position)
        parent_id = self.records[parent].step_id if parent is not None else None
        with self.tracer.step(req.step_id, req.kind, number, parent_id, req.attributes) as span:
            try:
                output = req.target.execute(req.input, step_ctx)
                check_storable(output, f"Action {req.target.slug!r}")
            except RunStopped:
                raise
            except BaseException as exc:
                # SystemExit or CancelledError from user code fails the attempt too
                span.failed(exc)
                return _Attempt(
                    False,
                    exc=exc,
                    started_at=started_at,
                    finished_at=utcnow(),
                    detail=_exc_detail(exc),
                    usage=step_ctx.usage,
                )
        return _Attempt(
            True, output=output, started_at=started_at, finished_at=utcnow(), usage=step_ctx.usage
        )

    def _after_attempt(self, req: _Request, attempt: _Attempt) -> None:
        record = self.records.get(req.position)
        number = len(record.attempts) + 1 if record else 1
        entry = {
            "attempt": number,
            "started_at": attempt.started_at.isoformat() if attempt.started_at else None,
            "finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None,
            "error": attempt.detail or None,
        }
        attempts = [*(record.attempts if record else []), entry]
        cost = (record.cost if record else Decimal(0)) + sum(
            (Decimal(u["cost"]) for u in attempt.usage), Decimal(0)
        )
        base = StepRecord(
            req.position,
            req.step_id,
            req.kind,
            SUCCESS,
            input=req.input,
            attempts=attempts,
            started_at=record.started_at if record else attempt.started_at,
            finished_at=attempt.finished_at,
            cost=cost,
            usage=attempt.usage,
            parent_position=self.parents.get(req.position),
        )
        if attempt.ok:
            self._write(replace(base, output=attempt.output))
            self._deliver(req, attempt.output)
            return
        assert attempt.exc is not None
        policy = req.target.retries or self.workflow.retries or DEFAULT_POLICY
        if policy.is_retryable(attempt.exc) and number < policy.max_attempts:
            wake_at = self.clock() + timedelta(seconds=policy.backoff(number))
            self._write(
                replace(
                    base, status=SLEEPING, wake_at=wake_at, finished_at=None, error=attempt.detail
                )
            )
            self._suspend(req, SuspendItem("retry", req.step_id, wake_at=wake_at))
            return
        errors = [a["error"] for a in attempts if a["error"]]
        summary = f"{attempt.detail['type']}: {attempt.detail['message']}"
        if policy.is_retryable(attempt.exc):
            error: StepFailed = RetriesExhausted(
                req.step_id, f"{req.step_id} failed after {number} attempts: {summary}", errors
            )
        else:
            error = StepFailed(req.step_id, f"{req.step_id} failed: {summary}", errors)
        self._write(replace(base, status=FAILED, error=error.to_dict()))
        self._raise(req, error)


def _plain(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    return dump(mode="json") if callable(dump) else value


# A \u0000 escape in JSON text, not the text "\\u0000" (a backslash then u0000), which is storable.
_JSON_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def has_json_nul(text: str) -> bool:
    return _JSON_NUL.search(text) is not None


def escape_json_nul(text: str) -> str:
    """JSON text whose NUL characters are spelled out as the four characters \\x00: jsonb refuses
    NUL.
    """
    return _JSON_NUL.sub(r"\1\\\\x00", text)


def check_storable(value: Any, what: str) -> None:
    """Refuse values JSON columns cannot hold (NaN, Infinity, NUL): they would fail every retry."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise OutputValidationError(
            f"{what} returned a value that cannot be stored as JSON: {exc}"
        ) from None
    if has_json_nul(text):
        raise OutputValidationError(
            f"{what} returned text with a NUL character, which cannot be stored."
        )


def storable(value: Any) -> Any:
    """``value`` with NUL characters escaped and NaN made null: what a JSON column accepts."""
    text = escape_json_nul(json.dumps(value, default=str))
    return json.loads(text, parse_constant=lambda constant: None)


def _text(value: str) -> str:
    """Error text as it is stored: secrets redacted, NUL spelled out (text columns refuse it)."""
    return redact_text(value).replace("\x00", "\\x00")


def _redacted(detail: dict[str, Any]) -> dict[str, Any]:
    """An error as it is stored: every field redacted (a response or headers may carry secrets),
    but the ones that name things, which a secret-looking slug would otherwise lose."""
    return {k: v if k in ("type", "step_id") else redact(v) for k, v in detail.items()}


def _exc_detail(exc: BaseException) -> dict[str, Any]:
    return {
        "type": type(exc).__name__,
        "message": _text(str(exc)),
        "traceback": _text("".join(traceback.format_exception(exc))),
    }


def error_dict(exc: BaseException) -> dict[str, Any]:
    """The ``error`` a failed run records: type, message, traceback and failing step."""
    detail: dict[str, Any] = (
        exc.to_dict() if isinstance(exc, WorkflowError) else {"type": type(exc).__name__}
    )
    detail["message"] = _text(str(exc))
    detail.setdefault("step_id", None)
    attempts = detail.get("attempts") or []
    # A step failure is best explained by the step's own traceback, not the workflow's.
    detail["traceback"] = (
        attempts[-1].get("traceback")
        if attempts
        else _text("".join(traceback.format_exception(exc)))
    )
    return _redacted(detail)


__all__ = [
    "ChildWorkflowFailed",
    "Completed",
    "Failed",
    "Outcome",
    "Suspended",
    "SuspendItem",
    "current_pass",
    "error_dict",
    "execute",
]
