"""Plain Celery tasks of the test project, as a Celery user writes them: History records them as
runs of kind task when KEYSTROKE_RECORD_CELERY_TASKS is set (tests/workflows/test_task_recording*).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from celery import shared_task


@shared_task
def add(a: int, b: int, marker: str = "") -> int:
    if marker:  # proves the task ran where nothing was recorded
        Path(marker).write_text("ran")
    return a + b


@shared_task(bind=True, max_retries=3)
def flaky(self: Any, fail_times: int) -> str:
    """Fails its first ``fail_times`` attempts, then succeeds."""
    if self.request.retries < fail_times:
        raise self.retry(exc=ConnectionError("the CRM did not answer"), countdown=0.1)
    return f"done after {self.request.retries} retries"


@shared_task
def explode(customer: str) -> None:
    raise ValueError(f"no plan for customer {customer!r} <script>alert(1)</script>")


@shared_task
def measure(data: Any) -> int:
    return len(data)
