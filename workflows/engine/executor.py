"""Where a step's code runs: step threads, step timeouts, and the stop signal while they run."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from ..errors import RunStopped, StepTimeout
from ..storable import check_storable
from .attempts import Attempt
from .failures import exception_detail
from .runtime import StepTarget
from .step_context import StepContext
from .tracer import Tracer

# How often a round waiting on step threads looks at the stop signal and the timeouts.
POLL_SECONDS = 0.25


def utcnow() -> datetime:
    return datetime.now(UTC)


class Stop(Protocol):
    def is_set(self) -> bool: ...


def attempt_step(
    target: StepTarget,
    input: Any,
    ctx: StepContext,
    tracer: Tracer,
    kind: str,
    parent: str | None,
    attributes: dict[str, Any],
    started_at: datetime,
) -> Attempt:
    """One attempt of ``target`` in its span; any exception from user code fails the attempt."""
    with tracer.step(ctx.step_id or "", kind, ctx.attempt, parent, attributes) as span:
        try:
            output = target.execute(input, ctx)
            check_storable(output, f"Action {target.slug!r}")
        except RunStopped:
            raise
        # SystemExit or CancelledError from user code fails the attempt too.
        except BaseException as exc:
            span.failed(exc)
            return Attempt(
                False,
                exc=exc,
                started_at=started_at,
                finished_at=utcnow(),
                detail=exception_detail(exc),
                usage=ctx.usage,
            )
    return Attempt(
        True, output=output, started_at=started_at, finished_at=utcnow(), usage=ctx.usage
    )


class StepExecutor:
    """Runs a round's attempts side by side in a thread pool, each within its step's timeout.

    A thread cannot be killed: an attempt past its timeout fails with ``StepTimeout`` and its
    late result is dropped. The pool is created on first use, so forked worker processes each
    get threads of their own.
    """

    def __init__(self, max_workers: int = 32) -> None:
        self.max_workers = max_workers
        self._pool: ThreadPoolExecutor | None = None

    def run(
        self,
        calls: list[tuple[Callable[[], Attempt], timedelta | None, str]],
        stop: Stop | None,
        clock: Callable[[], datetime],
    ) -> list[Attempt]:
        """Each ``(attempt, timeout, step_id)`` run once; raises RunStopped when ``stop`` is set."""
        if len(calls) == 1 and calls[0][1] is None:
            # Nothing to run beside it and no deadline to enforce: spare the thread hand-off.
            return [calls[0][0]()]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="keystroke-step")
        started = clock()
        futures = [self._pool.submit(call) for call, _, _ in calls]
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            if stop is not None and stop.is_set():
                raise RunStopped
            elapsed = clock() - started
            for future, (_, timeout, _) in zip(futures, calls, strict=True):
                if future in pending and timeout is not None and elapsed >= timeout:
                    pending.discard(future)
        return [
            _result(future, timeout, step_id, started, clock)
            for future, (_, timeout, step_id) in zip(futures, calls, strict=True)
        ]


def _result(
    future: Future[Attempt],
    timeout: timedelta | None,
    step_id: str,
    started: datetime,
    clock: Callable[[], datetime],
) -> Attempt:
    if future.done():
        return future.result()
    limit = timeout.total_seconds() if timeout else 0
    exc = StepTimeout(f"{step_id} ran longer than its timeout of {limit:g}s.")
    return Attempt(
        False, exc=exc, started_at=started, finished_at=clock(), detail=exception_detail(exc)
    )


shared_executor = StepExecutor()
