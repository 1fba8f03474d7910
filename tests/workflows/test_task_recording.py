"""Celery tasks recorded as runs of kind task, in this process: eager runs, signals fed in odd
orders, what the engine and History refuse to do with such a run, and what each costs in SQL.
(tests/workflows/test_task_recording_worker.py has them on a real worker.)
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from keystroke_project_2.tasks import plain  # the test project's second package name
from rest_framework.test import APIClient

from history.access import Actor
from history.models import Organization, Run
from history.models.accounts import Role
from workflows import store, task_recording
from workflows.errors import InvalidState
from workflows.retry_from_step import retry_from_step
from workflows.runs import cancel_run, rerun_run, retry_run
from workflows.store.task_runs import run_uid

from ..factories import make_run, member
from ..support import wait_for

pytestmark = pytest.mark.django_db(transaction=True)
ADD = "keystroke_project_2.tasks.plain.add"


@pytest.fixture(autouse=True)
def written_here(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Events wait for ``flush`` in the test's thread instead of the writer's, so each test
    reads what it recorded and nothing else writes behind it."""
    monkeypatch.setattr(task_recording.writer, "threaded", False)
    yield
    task_recording.writer._reset()  # what a test left queued is not the next one's


@pytest.fixture
def recording() -> Iterator[None]:
    task_recording.connect("1")
    yield
    task_recording.disconnect()


def task_run(task_id: str) -> Run:
    task_recording.flush()
    return Run.objects.get(uid=run_uid(task_id))


class Thing:
    """Not JSON: a task may still take one (eager, or with the pickle serializer)."""


def test_an_eager_task_is_one_run_of_kind_task_with_its_arguments_and_result(
    recording: None, org: Organization
) -> None:
    result = plain.add.apply(args=(2, 3), task_id=str(uuid.uuid4()))
    assert result.get() == 5
    run = task_run(result.id)
    assert (run.kind, run.slug, run.status, run.attempt) == ("task", ADD, "success", 1)
    assert run.input == {"args": [2, 3], "kwargs": {}} and run.output == 5
    assert run.organization == org and run.project.slug == "default"
    assert run.trigger_type == "celery" and run.trigger_raw["task_id"] == result.id
    assert run.started_at and run.finished_at and run.duration_ms is not None
    assert run.enqueued_at is None  # so the sweeper never sends it to the engine
    assert run.public_id == f"run_{uuid.UUID(result.id).hex}"  # found from the Celery id


def _written(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]


def test_a_task_costs_no_statement_and_its_signals_one_each_in_a_batch(recording: None) -> None:
    with CaptureQueriesContext(connection) as in_the_task:
        plain.add.apply(args=(1, 1))
        task_recording.on_publish(
            sender=ADD, body=((1, 1), {}, {}), headers={"id": str(uuid.uuid4())}, routing_key="q"
        )
        # not selected: nothing is read or written
        task_recording.on_publish(
            sender="workflows.tasks.execute_run", body=((1,), {}, {}), headers={"id": "x"}
        )
    assert in_the_task.captured_queries == []
    with CaptureQueriesContext(connection) as flushed:
        task_recording.flush()
    assert len(_written(flushed)) == 3  # task_prerun, task_success, the publish
    assert len(flushed.captured_queries) == 5  # and the batch's savepoint and its release


def test_a_task_with_arguments_json_cannot_hold_runs_and_records_a_placeholder(
    recording: None,
) -> None:
    result = plain.measure.apply(args=([Thing(), {1, 2}, b"\x00"],))
    assert result.get() == 3
    run = task_run(result.id)
    assert run.status == "success"
    assert run.input["args"] == [
        ["<unserialisable: Thing>", "<unserialisable: set>", "<unserialisable: bytes>"]
    ]


def test_arguments_lose_their_secrets_and_a_large_payload_is_cut_to_a_preview(
    recording: None, settings: Any
) -> None:
    result = plain.measure.apply(kwargs={"data": {"api_key": "abc", "note": "Bearer abcdefgh123"}})
    assert task_run(result.id).input["kwargs"]["data"] == {
        "api_key": "[redacted]",
        "note": "Bearer [redacted]",
    }
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "MAX_PAYLOAD": 200}
    result = plain.measure.apply(args=("x" * 5000,))
    stored = task_run(result.id).input
    assert stored["truncated"] is True and stored["size"] > 5000
    assert len(stored["preview"]) <= 1024


def test_a_failed_task_records_its_error_and_traceback(recording: None) -> None:
    result = plain.explode.apply(args=("acme",))
    run = task_run(result.id)
    assert run.status == "failed" and run.error["type"] == "ValueError"
    assert "no plan for customer 'acme'" in run.error["message"]
    assert "in explode" in run.error["traceback"] and run.error_fingerprint


def test_the_writer_thread_writes_the_events_without_a_flush(
    recording: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(task_recording.writer, "threaded", True)
    monkeypatch.setattr(task_recording.Writer, "IDLE_SECONDS", 0.2)  # its connection let go soon
    result = plain.add.apply(args=(4, 5))

    def written() -> Run | None:
        return Run.objects.filter(uid=run_uid(result.id), status="success").first()

    run = wait_for(written, 15, what="the writer thread to write the task's run")
    assert run.output == 9


def test_a_flush_writes_a_backlog_in_batches(
    recording: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(task_recording.Writer, "BATCH", 3)
    ids = [plain.add.apply(args=(n, n)).id for n in range(4)]  # 8 events, 3 batches
    task_recording.flush()
    assert Run.objects.filter(uid__in=[run_uid(i) for i in ids], status="success").count() == 4


def test_a_failure_message_is_cut_to_the_payload_limit(recording: None, settings: Any) -> None:
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "MAX_PAYLOAD": 300}
    result = plain.explode.apply(args=("x" * 5000,))
    error = task_run(result.id).error
    assert error["type"] == "ValueError" and error["message"].startswith("no plan for customer")
    assert len(error["message"]) <= 300 and len(error["traceback"]) <= 300


def test_while_the_database_is_away_tasks_succeed_and_their_events_wait_for_it(
    recording: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def away(event: Any) -> None:
        raise OperationalError("the database is gone")

    record = task_recording.record_task_event
    monkeypatch.setattr(task_recording, "record_task_event", away)
    with caplog.at_level(logging.WARNING, logger="keystroke.task_recording"):
        result = plain.add.apply(args=(2, 2))
        assert result.get() == 4
        task_recording.flush()
    assert "could not record a Celery task in History (2 events wait" in caplog.text
    assert "the database is gone" in caplog.text
    assert not Run.objects.filter(kind="task").exists()

    monkeypatch.setattr(task_recording, "record_task_event", record)  # it is back
    assert task_run(result.id).status == "success"


def test_an_event_the_database_refuses_loses_only_itself(
    recording: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    record = task_recording.record_task_event

    def refuses_explode(event: Any) -> None:
        if event.name.endswith(".explode"):
            raise ValueError("a value the column refuses")
        record(event)

    monkeypatch.setattr(task_recording, "record_task_event", refuses_explode)
    with caplog.at_level(logging.ERROR, logger="keystroke.task_recording"):
        refused = plain.explode.apply(args=("acme",))
        kept = plain.add.apply(args=(1, 2))
        task_recording.flush()
    assert f"could not record Celery task {refused.id}" in caplog.text
    assert task_run(kept.id).status == "success"
    assert not Run.objects.filter(uid=run_uid(refused.id)).exists()


def test_with_the_setting_off_or_another_task_named_nothing_is_recorded() -> None:
    assert task_recording.connect("0") is False
    plain.add.apply(args=(1, 2))
    assert task_recording.connect(f"{ADD}, other.task") is True
    try:
        plain.measure.apply(args=("abc",))
        plain.add.apply(args=(1, 2))
    finally:
        task_recording.disconnect()
    task_recording.flush()
    assert list(Run.objects.values_list("kind", "slug")) == [("task", ADD)]


def _request(task_id: str, retries: int = 0) -> SimpleNamespace:
    return SimpleNamespace(
        id=task_id,
        name=ADD,
        retries=retries,
        args=[1, 2],
        kwargs={},
        hostname="w1@host",
        delivery_info={"routing_key": "default"},
        request_dict={"retries": retries},
    )


def _task(request: SimpleNamespace) -> SimpleNamespace:
    return SimpleNamespace(name=ADD, request=request)


def test_signals_late_out_of_order_or_twice_leave_the_row_at_the_furthest_one() -> None:
    task_recording.connect("1")
    task_id = str(uuid.uuid4())
    first, second = _request(task_id), _request(task_id, retries=1)
    try:
        # the worker's success lands before the publisher's row, and the prerun comes twice
        task_recording.on_prerun(task_id=task_id, task=_task(first), args=[1, 2], kwargs={})
        task_recording.on_retry(
            sender=_task(first), request=first, reason=ConnectionError("CRM down")
        )
        assert task_run(task_id).status == "queued" and task_run(task_id).attempt == 2
        task_recording.on_prerun(task_id=task_id, task=_task(second), args=[1, 2], kwargs={})
        assert task_run(task_id).error["type"] == "ConnectionError"  # why it retried
        task_recording.on_success(sender=_task(second), result=3)
        for _twice in range(2):
            task_recording.on_prerun(task_id=task_id, task=_task(second), args=[1, 2], kwargs={})
            task_recording.on_received(request=first)
            task_recording.on_publish(
                sender=ADD, body=((1, 2), {}, {}), headers={"id": task_id}, routing_key="q"
            )
            task_recording.on_success(sender=_task(second), result=3)
    finally:
        task_recording.disconnect()
    run = task_run(task_id)
    assert (run.status, run.attempt, run.output, run.error) == ("success", 2, 3, None)
    assert run.trigger_raw["worker"] == "w1@host" and run.trigger_raw["queue"] == "default"
    assert "received_at" in run.trigger_raw  # a late event's details still count
    assert Run.objects.filter(kind="task").count() == 1


def test_a_task_id_that_is_not_a_uuid_still_keys_one_run() -> None:
    assert run_uid("invoice-42") == run_uid("invoice-42") != run_uid("invoice-43")


@pytest.fixture
def actor(org: Organization) -> Actor:
    return Actor(org, Role.OPERATOR, "tests")


def _recorded(org: Organization, status: str) -> Run:
    task_id = str(uuid.uuid4())
    return make_run(
        org,
        ADD,
        kind="task",
        status=status,
        uid=run_uid(task_id),
        trigger_type="celery",
        trigger_raw={"task_id": task_id},
        enqueued_at=None,
    )


def test_the_engine_neither_retries_nor_reruns_nor_claims_a_task_run(
    org: Organization, actor: Actor
) -> None:
    failed = _recorded(org, "failed")
    for action in (retry_run, rerun_run):
        with pytest.raises(InvalidState, match="Celery task .* send the task again"):
            action(failed, actor)
    with pytest.raises(InvalidState, match="cannot be retried from a step"):
        retry_from_step(failed, actor, None)
    # the sweeper looks for lost messages by enqueued_at, which a recorded task never has
    queued = _recorded(org, "queued")
    Run.objects.filter(pk=queued.pk).update(queued_at=timezone.now() - timedelta(hours=1))
    assert queued.pk not in store.stale_run_ids(timezone.now())
    assert store.claim_run(queued.pk, "worker-1") is None


def test_cancel_revokes_a_queued_task_and_refuses_a_running_one(
    org: Organization, actor: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    revoked: list[str] = []
    monkeypatch.setattr(task_recording, "revoke", revoked.append)
    queued = _recorded(org, "queued")
    assert cancel_run(queued, actor).status == "canceled"
    assert revoked == [queued.trigger_raw["task_id"]]
    running = _recorded(org, "running")
    with pytest.raises(InvalidState, match="only a queued task can be canceled"):
        cancel_run(running, actor)
    assert Run.objects.get(pk=running.pk).status == "running"


def test_the_api_filters_runs_of_kind_task(org: Organization, api: APIClient) -> None:
    task = _recorded(org, "success")
    make_run(org, "greeting")
    response = api.get("/api/runs", {"kind": "task"})
    assert response.status_code == 200, response.content
    assert [run["id"] for run in response.json()["results"]] == [task.public_id]


def test_history_lists_tasks_under_type_task_and_shows_one_escaped(org: Organization) -> None:
    browser = member(org, name="alice")
    plain_run = make_run(org, "greeting")
    task_recording.connect("1")
    try:
        result = plain.explode.apply(args=("<b>acme</b>",))
    finally:
        task_recording.disconnect()
    task = task_run(result.id)
    listed = browser.get("/history/", {"kind": "task"}).content.decode()
    assert task.public_id in listed and plain_run.public_id not in listed
    assert '<option value="task" selected>Task</option>' in listed
    overview = _page(browser, task, "overview")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in overview
    assert "<script>alert(1)" not in overview
    assert "&lt;b&gt;acme&lt;/b&gt;" in overview and "Traceback" in overview
    assert "A Celery task has no steps" in _page(browser, task, "steps")
    assert "A Celery task has no steps, so no spans" in _page(browser, task, "trace")
    metadata = _page(browser, task, "metadata")
    assert "Celery task id" in metadata and result.id in metadata
    assert "Rerun" not in overview and "Retry" not in overview


def _page(browser: Client, run: Run, tab: str) -> str:
    response = browser.get(f"/history/{run.public_id}/", {"tab": tab})
    assert response.status_code == 200, tab
    return response.content.decode()
