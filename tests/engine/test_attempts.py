"""What an attempt leaves behind: the recorded step, a retry at the backoff, or a failure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from workflows.engine.attempts import Attempt, attempt_number, settle
from workflows.engine.kinds import FAILED, SLEEPING, SUCCESS
from workflows.engine.log import StepRecord
from workflows.errors import NonRetryableError, RetriesExhausted, StepFailed
from workflows.retry import RetryPolicy

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ASKED = StepRecord(3, "step:charge#0", "action", SUCCESS, input={"amount": 5}, parent_position=1)
POLICY = RetryPolicy(max_attempts=3, initial_interval=10, backoff_coefficient=2, jitter=0)


def failed(exc: Exception, cost: str = "0") -> Attempt:
    detail = {"type": type(exc).__name__, "message": str(exc), "traceback": "…"}
    usage = [{"kind": "service", "service": "stripe", "cost": cost}] if cost != "0" else []
    return Attempt(False, exc=exc, started_at=NOW, finished_at=NOW, detail=detail, usage=usage)


def test_a_first_attempt_that_returns_records_the_output_with_one_attempt() -> None:
    ok = Attempt(True, output={"id": "ch_1"}, started_at=NOW, finished_at=NOW + timedelta(1))
    settled = settle(ASKED, ok, POLICY, NOW, previous=None)
    record = settled.record
    assert (record.status, record.output, record.input) == (SUCCESS, {"id": "ch_1"}, {"amount": 5})
    assert record.parent_position == 1 and record.started_at == NOW
    assert [a["attempt"] for a in record.attempts] == [1]
    assert settled.retry_at is None and settled.error is None


def test_a_retryable_failure_sleeps_for_the_policys_backoff() -> None:
    settled = settle(ASKED, failed(ValueError("timeout")), POLICY, NOW, previous=None)
    assert settled.record.status == SLEEPING
    assert settled.retry_at == settled.record.wake_at == NOW + timedelta(seconds=10)
    assert settled.record.error == {"type": "ValueError", "message": "timeout", "traceback": "…"}
    assert settled.record.finished_at is None


def test_the_second_retry_waits_twice_as_long_and_keeps_the_first_start() -> None:
    first = settle(ASKED, failed(ValueError("a")), POLICY, NOW, previous=None).record
    later = NOW + timedelta(minutes=1)
    second = settle(ASKED, failed(ValueError("b")), POLICY, later, previous=first)
    assert second.retry_at == later + timedelta(seconds=20)
    assert second.record.started_at == NOW
    assert [a["attempt"] for a in second.record.attempts] == [1, 2]
    assert [a["max_attempts"] for a in second.record.attempts] == [3, 3]  # "attempt 3 of 3" next


def test_the_last_attempt_fails_with_every_attempts_error() -> None:
    record = None
    for n in range(3):
        settled = settle(ASKED, failed(ValueError(f"boom {n}")), POLICY, NOW, previous=record)
        record = settled.record
    assert isinstance(settled.error, RetriesExhausted)
    assert record.status == FAILED
    assert [e["message"] for e in settled.error.errors] == ["boom 0", "boom 1", "boom 2"]
    assert "failed after 3 attempts: ValueError: boom 2" in str(settled.error)


def test_a_non_retryable_error_fails_at_once() -> None:
    settled = settle(ASKED, failed(NonRetryableError("card declined")), POLICY, NOW, None)
    assert type(settled.error) is StepFailed
    assert settled.record.status == FAILED and settled.retry_at is None
    assert settled.record.error == settled.error.to_dict()


def test_paid_usage_adds_up_across_attempts_and_each_write_carries_only_its_own_lines() -> None:
    first = settle(ASKED, failed(ValueError("a"), cost="0.02"), POLICY, NOW, None).record
    second = settle(ASKED, failed(ValueError("b"), cost="0.03"), POLICY, NOW, first).record
    assert second.cost == Decimal("0.05")
    assert [line["cost"] for line in second.usage] == ["0.03"]


def test_attempts_are_counted_from_the_record() -> None:
    assert attempt_number(None) == 1
    one = settle(ASKED, failed(ValueError("a")), POLICY, NOW, None).record
    assert attempt_number(one) == 2
