"""Retry policies for steps and the durable backoff between attempts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .errors import NonRetryableError, OutputValidationError

DEFAULT_RETRIES = 2


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing step is tried again.

    Attributes:
        max_attempts: Attempts in all, the first included (``retries=N`` means N + 1).
        initial_interval: Seconds to wait before the second attempt.
        backoff_coefficient: Each later wait is the previous one times this.
        max_interval: Upper bound of a wait, in seconds.
        jitter: Fraction of each wait added or removed at random, so retries spread out.
        non_retryable: Exception types that fail the step at once.
    """

    max_attempts: int = DEFAULT_RETRIES + 1
    initial_interval: float = 1.0
    backoff_coefficient: float = 2.0
    max_interval: float = 300.0
    jitter: float = 0.1
    non_retryable: tuple[type[BaseException], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError(
                f"RetryPolicy(max_attempts={self.max_attempts}): allow at least 1 attempt."
            )
        if self.initial_interval < 0 or self.max_interval < 0:
            raise ValueError("RetryPolicy intervals must be zero or more seconds.")
        if self.backoff_coefficient < 1:
            raise ValueError("RetryPolicy(backoff_coefficient=…) must be at least 1.")
        if not 0 <= self.jitter <= 1:
            raise ValueError("RetryPolicy(jitter=…) must be between 0 and 1.")

    def backoff(self, failed_attempts: int) -> float:
        """Seconds to wait after ``failed_attempts`` attempts have failed, never more than
        ``max_interval``.
        """
        try:
            base = self.initial_interval * self.backoff_coefficient ** (failed_attempts - 1)
        except OverflowError:  # a float power past 1e308: long past the cap anyway
            base = self.max_interval
        base = min(base, self.max_interval)
        jittered = base * (1 + random.uniform(-self.jitter, self.jitter))
        return min(self.max_interval, max(0.0, jittered))

    def is_retryable(self, exc: BaseException) -> bool:
        return not isinstance(exc, (NonRetryableError, OutputValidationError, *self.non_retryable))


def as_policy(retries: int | RetryPolicy | None, what: str) -> RetryPolicy | None:
    """Accept ``retries=N`` or a RetryPolicy, with a message that says what to change."""
    if retries is None or isinstance(retries, RetryPolicy):
        return retries
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise ValueError(
            f"{what}: retries={retries!r} must be a whole number >= 0 or a RetryPolicy(...)."
        )
    return RetryPolicy(max_attempts=retries + 1)


DEFAULT_POLICY = RetryPolicy()
