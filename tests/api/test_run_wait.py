"""``?wait`` on a start and on a run's URL: the answer comes once the run stops moving, a bad
value names the parameter and starts nothing, and a host whose waits are all taken answers at
once instead of holding another web worker.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from history.api import waiting
from history.listening import CHANNEL, WAITER_LOCK_CLASS, listening
from history.models import Organization, Run
from history.models.runs import parse_run_id

from ..conftest import Stack
from ..factories import make_run
from ..workflows.test_worker import status_becomes

pytestmark = pytest.mark.django_db(transaction=True)
LONG_WAIT = waiting.MAX_WAIT_SECONDS
# Far below the long wait, so an answer held for the whole wait fails quickly.
PROMPT = 5


def test_a_start_with_wait_answers_with_the_run_it_finished(stack: Stack, api: APIClient) -> None:
    stack.worker()
    # A first run, so the worker has started before the measured one.
    first = api.post("/api/workflows/greeting", {"name": "Grace"}, format="json").json()
    status_becomes(Run.objects.get(uid=parse_run_id(first["run_id"])), "success")

    response = api.post(
        f"/api/workflows/greeting?wait={LONG_WAIT:g}", {"name": "Ada"}, format="json"
    )

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "success"
    assert body["run"]["id"] == body["run_id"]
    assert body["run"]["output"] == {"message": "Hello, Ada!"}


def test_a_look_with_wait_answers_when_the_run_ends(api: APIClient, org: Organization) -> None:
    run = make_run(org, status=Run.Status.RUNNING)
    ends = threading.Timer(0.3, _finish, [run.pk])
    ends.start()
    try:
        asked = time.monotonic()
        body = api.get(f"/api/runs/{run.public_id}?wait={LONG_WAIT:g}").json()
    finally:
        ends.join()
    # Running when asked, finished in the answer, and not held for the whole wait.
    assert body["status"] == "success"
    assert time.monotonic() - asked < PROMPT


def test_a_run_that_does_not_move_is_answered_at_once(api: APIClient, org: Organization) -> None:
    for status in (Run.Status.SLEEPING, Run.Status.WAITING, Run.Status.FAILED):
        run = make_run(org, status=status)
        asked = time.monotonic()
        body = api.get(f"/api/runs/{run.public_id}?wait={LONG_WAIT:g}").json()
        assert body["status"] == status
        assert time.monotonic() - asked < PROMPT


def test_when_every_wait_of_the_host_is_taken_a_look_is_answered_at_once(
    api: APIClient, org: Organization
) -> None:
    run = make_run(org, status=Run.Status.RUNNING)
    with _every_wait_slot_taken():
        asked = time.monotonic()
        body = api.get(f"/api/runs/{run.public_id}?wait={LONG_WAIT:g}").json()
    assert body["status"] == "running"
    assert time.monotonic() - asked < PROMPT


def test_a_wait_ends_before_the_web_workers_request_timeout(
    api: APIClient, org: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    # gunicorn kills a sync worker held past its timeout: the answer must come before that.
    monkeypatch.setenv("KEYSTROKE_WEB_TIMEOUT", "7")
    run = make_run(org, status=Run.Status.RUNNING)
    asked = time.monotonic()
    body = api.get(f"/api/runs/{run.public_id}?wait={LONG_WAIT:g}").json()
    held = time.monotonic() - asked
    assert body["status"] == "running"
    assert 7 - waiting.TIMEOUT_MARGIN_SECONDS - 0.5 <= held < 7 - 1


def test_a_bad_include_is_refused_before_the_wait(api: APIClient, org: Organization) -> None:
    run = make_run(org, status=Run.Status.RUNNING)
    asked = time.monotonic()
    response = api.get(f"/api/runs/{run.public_id}?wait={LONG_WAIT:g}&include=bogus")
    assert response.status_code == 400
    assert "include" in response.json()["error"]["details"]
    assert time.monotonic() - asked < PROMPT


@pytest.mark.parametrize("value", ["soon", "-1", "31", "nan", "inf", "1e400"])
def test_a_bad_wait_names_the_parameter_and_starts_nothing(
    api: APIClient, org: Organization, value: str
) -> None:
    run = make_run(org)
    looked = api.get(f"/api/runs/{run.public_id}?wait={value}")
    started = api.post(f"/api/workflows/greeting?wait={value}", {}, format="json")

    for response in (looked, started):
        assert response.status_code == 400
        assert "wait" in response.json()["error"]["details"]
        assert "seconds from 0 to 30" in str(response.json()["error"]["details"]["wait"])
    assert Run.objects.count() == 1


def _finish(run_pk: int) -> None:
    try:
        Run.objects.filter(pk=run_pk).update(status=Run.Status.SUCCESS)
    finally:
        connections.close_all()


def _session(autocommit: bool = True) -> psycopg.Connection[Any]:
    """A session of the test database's own, as another process would have."""
    params = connection.get_connection_params()
    return psycopg.connect(
        dbname=connection.settings_dict["NAME"],
        **{k: v for k, v in params.items() if k in ("host", "port", "user", "password")},
        autocommit=autocommit,
    )


class _every_wait_slot_taken:
    """The host's advisory locks, held from another session as other web workers would."""

    def __enter__(self) -> None:
        self.session = _session()
        first = waiting._host_key()
        for key in range(first, first + waiting._wait_slots()):
            self.session.execute("SELECT pg_advisory_lock(%s, %s)", [waiting.LOCK_CLASS, key])

    def __exit__(self, *exc: object) -> None:
        self.session.close()


def _looks(queries: CaptureQueriesContext) -> int:
    return sum('"history_run"."status"' in q["sql"] and "LIMIT 1" in q["sql"] for q in queries)


# Far above PROMPT: a wait that did not hear its run end answers only after this.
DEAF_LOOK_SECONDS = 20


@pytest.fixture
def hearing_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(waiting, "HEARING_LOOK_SECONDS", DEAF_LOOK_SECONDS)


@pytest.mark.usefixtures("hearing_only")
def test_a_wait_hears_the_run_end_instead_of_looking_again_and_again(
    api: APIClient, org: Organization
) -> None:
    run = make_run(org, status=Run.Status.RUNNING)
    ends = threading.Timer(0.5, _finish, [run.pk])
    with CaptureQueriesContext(connection) as queries:
        ends.start()
        try:
            asked = time.monotonic()
            body = api.get(f"/api/runs/{run.public_id}?wait={LONG_WAIT:g}").json()
        finally:
            ends.join()
    assert body["status"] == "success"
    assert time.monotonic() - asked < PROMPT
    # The one look before listening; looking with growing pauses would have taken some twenty.
    assert _looks(queries) == 1


@pytest.mark.usefixtures("hearing_only")
def test_the_engine_s_ends_and_suspends_are_heard(
    stack: Stack, api: APIClient, tmp_path: Path
) -> None:
    marker = str(tmp_path / "effects")
    stack.worker()
    first = api.post("/api/workflows/greeting", {"name": "Grace"}, format="json").json()
    status_becomes(Run.objects.get(uid=parse_run_id(first["run_id"])), "success")
    starts = [
        ("greeting", {"name": "Ada"}, "success"),
        ("three-steps", {"marker": marker, "sleep_seconds": 600}, "sleeping"),
        ("approval", {"marker": marker}, "waiting"),
    ]
    for slug, body, settled in starts:
        with CaptureQueriesContext(connection) as queries:
            asked = time.monotonic()
            answer = api.post(f"/api/workflows/{slug}?wait={LONG_WAIT:g}", body, format="json")
        assert answer.json()["status"] == settled, slug
        assert time.monotonic() - asked < DEAF_LOOK_SECONDS - 5, slug
        assert _looks(queries) == 1, slug


@pytest.mark.parametrize("end", [Run.Status.SLEEPING, Run.Status.WAITING, Run.Status.CANCELED])
def test_every_way_a_run_settles_is_heard(org: Organization, end: str) -> None:
    run = make_run(org, status=Run.Status.RUNNING)
    with listening(run.uid) as listener:
        assert listener is not None
        Run.objects.filter(pk=run.pk).update(status=end)
        assert listener.heard(LONG_WAIT)


def test_a_run_that_keeps_moving_sends_nothing(org: Organization) -> None:
    queued = make_run(org, status=Run.Status.QUEUED)
    with listening(queued.uid) as listener:
        assert listener is not None
        Run.objects.filter(pk=queued.pk).update(status=Run.Status.RUNNING)
        Run.objects.filter(pk=queued.pk).update(error_fingerprint="x")
        assert not listener.heard(0.5)


def test_a_run_nobody_waits_on_sends_nothing(org: Organization) -> None:
    # A committed NOTIFY serializes commits server-wide: runs without a waiter do not pay it.
    run = make_run(org, status=Run.Status.RUNNING)
    with _session() as session:
        session.execute(f"LISTEN {CHANNEL}")
        Run.objects.filter(pk=run.pk).update(status=Run.Status.SUCCESS)
        assert list(session.notifies(timeout=0.5)) == []


@pytest.mark.usefixtures("hearing_only")
def test_a_wait_that_comes_while_its_run_settles_sees_it_settled(
    api: APIClient, org: Organization
) -> None:
    run = make_run(org, status=Run.Status.RUNNING)
    with _session(autocommit=False) as settling:
        # The trigger has fired; the commit comes after the wait has begun.
        settling.execute("UPDATE history_run SET status = 'success' WHERE id = %s", [run.pk])
        commits = threading.Timer(0.5, settling.commit)
        commits.start()
        try:
            asked = time.monotonic()
            body = api.get(f"/api/runs/{run.public_id}?wait={LONG_WAIT:g}").json()
        finally:
            commits.join()
    assert body["status"] == "success"
    assert time.monotonic() - asked < PROMPT


def test_a_listener_broken_between_waits_is_replaced(api: APIClient, org: Organization) -> None:
    with listening(make_run(org).uid) as listener:
        assert listener is not None
        pid = listener.conn.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    run = make_run(org, status=Run.Status.RUNNING)
    ends = threading.Timer(0.3, _finish, [run.pk])
    ends.start()
    try:
        asked = time.monotonic()
        body = api.get(f"/api/runs/{run.public_id}?wait={LONG_WAIT:g}").json()
    finally:
        ends.join()
    assert body["status"] == "success"
    assert time.monotonic() - asked < PROMPT
    with listening(run.uid) as listener:
        assert listener is not None
        assert listener.conn.info.backend_pid != pid


@pytest.mark.usefixtures("hearing_only")
def test_a_listener_broken_during_a_wait_falls_back_to_looking(
    api: APIClient, org: Organization
) -> None:
    run = make_run(org, status=Run.Status.RUNNING)
    breaks = threading.Timer(0.3, _terminate_waiters)
    ends = threading.Timer(0.8, _finish, [run.pk])
    breaks.start()
    ends.start()
    try:
        asked = time.monotonic()
        body = api.get(f"/api/runs/{run.public_id}?wait={LONG_WAIT:g}").json()
    finally:
        breaks.join()
        ends.join()
    assert body["status"] == "success"
    assert time.monotonic() - asked < PROMPT


def test_a_process_whose_notices_never_come_stops_listening_and_says_so(
    api: APIClient,
    org: Organization,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # As behind a pooler in transaction mode: LISTEN is accepted and nothing arrives.
    monkeypatch.setattr("history.listening.CHANNEL", "keystroke_nothing")
    monkeypatch.setattr(waiting, "HEARING_LOOK_SECONDS", 0.2)
    run = make_run(org, status=Run.Status.RUNNING)
    ends = threading.Timer(0.3, _finish, [run.pk])
    ends.start()
    try:
        body = api.get(f"/api/runs/{run.public_id}?wait={LONG_WAIT:g}").json()
    finally:
        ends.join()
    assert body["status"] == "success"
    assert "DB_LISTEN=0" in caplog.text
    with listening(run.uid) as listener:
        assert listener is None


def test_without_listening_a_wait_looks_with_growing_pauses(
    api: APIClient, org: Organization, settings: Any
) -> None:
    settings.KEYSTROKE_WAIT_LISTEN = False
    run = make_run(org, status=Run.Status.RUNNING)
    ends = threading.Timer(0.3, _finish, [run.pk])
    with CaptureQueriesContext(connection) as queries:
        ends.start()
        try:
            body = api.get(f"/api/runs/{run.public_id}?wait={LONG_WAIT:g}").json()
        finally:
            ends.join()
    assert body["status"] == "success"
    assert _looks(queries) > 2


def _terminate_waiters() -> None:
    with _session() as session:
        session.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_locks "
            "WHERE locktype = 'advisory' AND classid = %s",
            [WAITER_LOCK_CLASS],
        )


def test_settling_many_runs_at_once_holds_a_bounded_number_of_locks(org: Organization) -> None:
    # A lock per settled run would fill the server's lock table on a cancel of a large tree.
    runs = [make_run(org, status=Run.Status.RUNNING) for _ in range(100)]
    with _session() as session:
        session.execute(f"LISTEN {CHANNEL}")
        with transaction.atomic():
            Run.objects.filter(pk__in=[run.pk for run in runs]).update(status=Run.Status.CANCELED)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid = %s AND pid = pg_backend_pid()",
                    [WAITER_LOCK_CLASS],
                )
                assert cursor.fetchone()[0] == 64
        # Past the bound every settle notifies, waited on or not.
        assert len(list(session.notifies(timeout=0.5))) == 36
