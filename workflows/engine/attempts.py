"""What an attempt of an executed step leaves behind: recorded, retried later, or failed.

Pure: the pass executes the attempt, these functions decide and build the record to write.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ..errors import RetriesExhausted, StepFailed
from ..retry import RetryPolicy
from .kinds import FAILED, SLEEPING, SUCCESS
from .log import StepRecord


@dataclass
class Attempt:
    """One run of a step's code: its output, or the exception and its stored detail."""

    ok: bool
    output: Any = None
    exc: BaseException | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    usage: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Settled:
    """The record to write, and whether the step waits for a retry or failed for good."""

    record: StepRecord
    retry_at: datetime | None = None
    error: StepFailed | None = None


def attempt_number(record: StepRecord | None) -> int:
    """1 for a step never attempted, then one more per recorded attempt."""
    return len(record.attempts) + 1 if record else 1


def settle(
    record: StepRecord,
    attempt: Attempt,
    policy: RetryPolicy,
    now: datetime,
    previous: StepRecord | None,
) -> Settled:
    """Fold ``attempt`` into ``record`` (the step as asked for), given what ``previous`` holds.

    A retryable failure with attempts left sleeps for the policy's backoff; otherwise the step
    fails with every attempt's error, as ``RetriesExhausted`` when the policy gave up.
    """
    number = attempt_number(previous)
    entry = {
        "attempt": number,
        "started_at": attempt.started_at.isoformat() if attempt.started_at else None,
        "finished_at": attempt.finished_at.isoformat() if attempt.finished_at else None,
        "error": attempt.detail or None,
        "max_attempts": policy.max_attempts,  # History shows "attempt 2 of 3"
    }
    attempts = [*(previous.attempts if previous else []), entry]
    cost = (previous.cost if previous else Decimal(0)) + sum(
        (Decimal(u["cost"]) for u in attempt.usage), Decimal(0)
    )
    base = replace(
        record,
        status=SUCCESS,
        attempts=attempts,
        started_at=previous.started_at if previous else attempt.started_at,
        finished_at=attempt.finished_at,
        cost=cost,
        usage=attempt.usage,
    )
    if attempt.ok:
        return Settled(replace(base, output=attempt.output))
    assert attempt.exc is not None
    retryable = policy.is_retryable(attempt.exc)
    if retryable and number < policy.max_attempts:
        wake_at = now + timedelta(seconds=policy.backoff(number))
        sleeping = replace(
            base, status=SLEEPING, wake_at=wake_at, finished_at=None, error=attempt.detail
        )
        return Settled(sleeping, retry_at=wake_at)
    errors = [a["error"] for a in attempts if a["error"]]
    summary = f"{attempt.detail['type']}: {attempt.detail['message']}"
    step_id = record.step_id
    if retryable:
        error: StepFailed = RetriesExhausted(
            step_id, f"{step_id} failed after {number} attempts: {summary}", errors
        )
    else:
        error = StepFailed(step_id, f"{step_id} failed: {summary}", errors)
    return Settled(replace(base, status=FAILED, error=error.to_dict()), error=error)
