"""The host project's Celery tasks recorded on a real worker (PostgreSQL, Redis): success,
retries, failure, a revoke, odd arguments, a recorder that cannot write, and the setting off.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import current_app
from django.conf import settings
from keystroke_project_2.tasks import plain  # the test project's second package name

from history.models import Run
from workflows import task_recording
from workflows.store.task_runs import run_uid

from ..conftest import Stack
from ..support import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
ON = {"KEYSTROKE_RECORD_CELERY_TASKS": "1"}


@pytest.fixture
def recording() -> Iterator[None]:
    """This process records what it publishes, as the host project's web process would."""
    task_recording.connect("1")
    yield
    task_recording.disconnect()


def ended(task_id: str, timeout: float = 30) -> Run:
    def check() -> Run | None:
        run = Run.objects.filter(uid=run_uid(task_id)).first()
        return run if run is not None and run.is_terminal else None

    return wait_for(check, timeout, what=f"task {task_id} to be recorded as ended")


def test_succeeded_retried_failed_and_revoked_tasks_are_runs_of_kind_task(
    stack: Stack, recording: None
) -> None:
    stack.worker(**ON)
    added = plain.add.delay(2, 3)
    retried = plain.flaky.delay(2)
    failed = plain.explode.delay("acme")

    run = ended(added.id)
    assert (run.kind, run.status, run.output, run.attempt) == ("task", "success", 5, 1)
    assert run.input == {"args": [2, 3], "kwargs": {}}
    assert run.trigger_raw["queue"] == settings.CELERY_TASK_DEFAULT_QUEUE
    assert run.trigger_raw["worker"].startswith("celery@")
    assert "received_at" in run.trigger_raw
    assert run.queued_at <= run.started_at <= run.finished_at and run.duration_ms is not None

    run = ended(retried.id)
    assert (run.status, run.attempt, run.output) == ("success", 3, "done after 2 retries")
    assert run.error is None

    run = ended(failed.id)
    assert (run.status, run.attempt, run.error["type"]) == ("failed", 1, "ValueError")
    assert "raise ValueError" in run.error["traceback"] and run.error_fingerprint
    assert Run.objects.filter(kind="task").count() == 3


def test_a_task_revoked_before_it_runs_is_a_canceled_run_and_never_runs(
    stack: Stack, recording: None, tmp_path: Path
) -> None:
    stack.worker(**ON)
    task_id, marker = str(uuid.uuid4()), tmp_path / "ran"
    current_app.control.revoke(task_id)
    time.sleep(1)  # the broadcast reaches the worker before the task does
    plain.add.apply_async((1, 2), {"marker": str(marker)}, task_id=task_id)
    run = ended(task_id)
    assert run.status == "canceled" and run.trigger_raw["revoked"] == "revoked"
    assert not marker.exists()


def test_a_task_with_arguments_json_cannot_hold_still_runs_with_a_placeholder(
    stack: Stack, recording: None
) -> None:
    stack.worker(**ON)
    # Celery's JSON serializer carries bytes (and datetimes, UUIDs, Decimals); JSON does not
    result = plain.measure.delay(b"\x00\x01\x02")
    run = ended(result.id)
    assert run.status == "success" and run.output == 3
    assert run.input["args"] == ["<unserialisable: bytes>"]


def test_a_worker_that_cannot_record_logs_it_and_its_tasks_still_succeed(
    stack: Stack, tmp_path: Path
) -> None:
    # no database answers this worker's recording, so every write fails
    worker = stack.worker(**ON, DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere")
    marker = tmp_path / "ran"
    result = plain.add.delay(1, 2, marker=str(marker))
    wait_for(marker.exists, 30, what="the task to run")
    wait_for(lambda: f"{result.id}] succeeded" in worker.output(), 30, what="it to succeed")
    # the writer's batch, a fraction of a second after the task
    wait_for(
        lambda: "could not record a Celery task in History" in worker.output(),
        30,
        what="the failed recording to be logged",
    )
    assert not Run.objects.filter(kind="task").exists()


def test_with_the_setting_off_a_worker_records_nothing(stack: Stack, tmp_path: Path) -> None:
    worker = stack.worker(KEYSTROKE_RECORD_CELERY_TASKS="0")
    marker = tmp_path / "ran"
    result = plain.add.delay(1, 2, marker=str(marker))
    wait_for(lambda: f"{result.id}] succeeded" in worker.output(), 30, what="it to succeed")
    assert marker.exists() and not Run.objects.filter(kind="task").exists()
