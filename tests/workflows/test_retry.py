"""Retry policies: how long a failed step waits before its next attempt, which errors are tried
again, and the messages that say how to fix a policy.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.errors import NonRetryableError, OutputValidationError
from workflows.retry import DEFAULT_POLICY, RetryPolicy, as_policy


def test_the_default_policy_tries_three_times_waiting_one_then_two_seconds() -> None:
    steady = RetryPolicy(jitter=0)
    assert DEFAULT_POLICY.max_attempts == steady.max_attempts == 3
    assert [steady.backoff(n) for n in (1, 2)] == [1.0, 2.0]


def test_each_wait_is_the_last_times_the_coefficient_up_to_the_cap() -> None:
    policy = RetryPolicy(initial_interval=0.5, backoff_coefficient=3, max_interval=10, jitter=0)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.5, 4.5, 10, 10]


def test_a_coefficient_of_one_waits_the_same_every_time() -> None:
    policy = RetryPolicy(initial_interval=7, backoff_coefficient=1, jitter=0)
    assert {policy.backoff(n) for n in range(1, 20)} == {7}


def test_a_zero_interval_retries_at_once() -> None:
    assert RetryPolicy(initial_interval=0).backoff(5) == 0


@given(
    failed=st.integers(min_value=1, max_value=40),
    jitter=st.floats(min_value=0, max_value=1),
    initial=st.floats(min_value=0, max_value=60),
    coefficient=st.floats(min_value=1, max_value=4),
)
def test_jitter_spreads_a_wait_by_at_most_its_fraction_either_way(
    failed: int, jitter: float, initial: float, coefficient: float
) -> None:
    policy = RetryPolicy(
        initial_interval=initial,
        backoff_coefficient=coefficient,
        max_interval=10**30,
        jitter=jitter,
    )
    base = initial * coefficient ** (failed - 1)
    assert base * (1 - jitter) - 1e-9 <= policy.backoff(failed) <= base * (1 + jitter) + 1e-9


@pytest.mark.parametrize(
    "error",
    [NonRetryableError("card declined"), OutputValidationError("score must be <= 100")],
)
def test_non_retryable_and_bad_output_errors_fail_the_step_at_once(error: Exception) -> None:
    assert not DEFAULT_POLICY.is_retryable(error)


def test_the_policy_names_more_errors_that_are_not_retried_subclasses_included() -> None:
    policy = RetryPolicy(non_retryable=(LookupError,))
    assert not policy.is_retryable(KeyError("customer"))
    assert policy.is_retryable(ConnectionError("CRM timed out"))
    assert DEFAULT_POLICY.is_retryable(KeyError("customer"))


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"max_attempts": 0}, r"RetryPolicy\(max_attempts=0\): allow at least 1 attempt"),
        ({"initial_interval": -1}, "intervals must be zero or more seconds"),
        ({"max_interval": -0.5}, "intervals must be zero or more seconds"),
        ({"backoff_coefficient": 0.5}, r"backoff_coefficient=…\) must be at least 1"),
        ({"jitter": 1.5}, r"jitter=…\) must be between 0 and 1"),
        ({"jitter": -0.1}, r"jitter=…\) must be between 0 and 1"),
    ],
)
def test_a_policy_that_cannot_work_is_refused_saying_what_to_change(
    fields: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        RetryPolicy(**fields)  # type: ignore[arg-type]


def test_retries_n_means_n_attempts_after_the_first() -> None:
    assert as_policy(0, "define_action(retries=…)") == RetryPolicy(max_attempts=1)
    assert as_policy(4, "define_action(retries=…)") == RetryPolicy(max_attempts=5)


def test_a_policy_or_nothing_is_taken_as_it_is() -> None:
    policy = RetryPolicy(max_attempts=9, jitter=0)
    assert as_policy(policy, "x") is policy
    assert as_policy(None, "x") is None


@pytest.mark.parametrize("retries", [-1, True, 2.5, "3"])
def test_retries_that_are_not_a_whole_number_or_a_policy_are_refused(retries: object) -> None:
    with pytest.raises(ValueError) as refused:
        as_policy(retries, "prompt_llm()")  # type: ignore[arg-type]
    assert str(refused.value) == (
        f"prompt_llm(): retries={retries!r} must be a whole number >= 0 or a RetryPolicy(...)."
    )


def test_a_policy_with_many_attempts_waits_at_most_its_cap_however_many_failed() -> None:
    policy = RetryPolicy(max_attempts=5000, initial_interval=1, max_interval=60, jitter=0.5)
    assert all(0 <= policy.backoff(n) <= 60 for n in (1, 10, 1025, 4999))
