"""What a sleeping or waiting run waits on, in the run list and the detail header, and the
``retrying`` status filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from history.models import Organization, Run, Step
from history.models.accounts import Role
from history.waits import Wait, waits_of

from ..conftest import api_client
from ..factories import make_hook, make_run, member

pytestmark = pytest.mark.django_db

SOON = datetime(2026, 12, 1, 10, 0, 5, tzinfo=UTC)
OPENED = datetime(2026, 12, 1, 9, 0, 0, tzinfo=UTC)


def sleeping(org: Organization) -> Run:
    run = make_run(org, status="sleeping", wake_at=SOON)
    Step.objects.create(
        run=run, position=0, step_id="step:sleep#0", kind="sleep", status="sleeping", wake_at=SOON
    )
    return run


def retrying(org: Organization) -> Run:
    run = make_run(org, "charge-card", status="sleeping", wake_at=SOON)
    attempt = {"attempt": 1, "error": {"type": "Timeout"}, "max_attempts": 3}
    Step.objects.create(
        run=run,
        position=0,
        step_id="step:charge#0",
        kind="action",
        status="sleeping",
        wake_at=SOON,
        attempts=[attempt],
    )
    return run


def hooked(org: Organization) -> Run:
    run = make_run(org, "support-escalation", status="waiting")
    make_hook(
        run,
        "ab" * 20,
        step_id="step:resolution#0",
        started_at=OPENED,
        wake_at=OPENED + timedelta(7),
    )
    return run


def test_each_kind_of_wait_says_what_the_run_waits_for_and_until_when(org: Organization) -> None:
    sleeper, retrier, waiter = sleeping(org), retrying(org), hooked(org)
    parent = make_run(org, "signup-pipeline", status="waiting")
    child = make_run(org, "send-welcome", status="running", parent=parent)
    Step.objects.create(
        run=parent,
        position=0,
        step_id="step:send-welcome#0",
        kind="workflow",
        status="waiting",
        child_run=child,
    )
    waits = waits_of([sleeper, retrier, waiter, parent, make_run(org, status="running")])
    assert {pk: [str(w) for w in found] for pk, found in waits.items()} == {
        sleeper.pk: ["sleeps until 2026-12-01 10:00:05 UTC"],
        retrier.pk: ["retrying step:charge#0 (attempt 2 of 3) at 2026-12-01 10:00:05 UTC"],
        waiter.pk: [
            "waiting on hook resolution since 2026-12-01 09:00:00 UTC "
            "(times out 2026-12-08 09:00:00 UTC)"
        ],
        parent.pk: [f"waiting on child run {child.public_id}"],
    }


def test_no_run_waiting_costs_no_query(org: Organization) -> None:
    runs = [make_run(org, status="running"), make_run(org, status="success")]
    with CaptureQueriesContext(connection) as queries:
        assert waits_of(runs) == {}
    assert len(queries) == 0


def test_a_retry_recorded_before_attempts_knew_their_limit_reads_without_it() -> None:
    wait = Wait("retry", "step:charge#0", until=SOON, attempt=2)
    assert str(wait) == "retrying step:charge#0 (attempt 2) at 2026-12-01 10:00:05 UTC"


def test_the_list_and_the_detail_header_show_the_wait(org: Organization) -> None:
    viewer = member(org, Role.VIEWER)
    run = hooked(org)
    listing = viewer.get("/history/").content.decode()
    since = (
        'since <time datetime="2026-12-01T09:00:00+00:00" title="2026-12-01T09:00:00+00:00" '
        'data-precision="s">2026-12-01 09:00:00 UTC</time>'
    )
    # Its times are <time> elements, which the browser shows in its own time zone.
    assert f'data-wait="hook">waiting on hook <code>resolution</code> {since}' in listing
    detail = viewer.get(run.get_absolute_url()).content.decode()
    assert f"waiting on hook <code>resolution</code> {since} (times out <time" in detail
    assert "ab" * 20 not in detail  # the wait names the hook, never its token


def test_retrying_finds_sleeping_runs_waiting_for_a_retry_only(org: Organization) -> None:
    sleeper, retrier = sleeping(org), retrying(org)
    api = api_client(org, Role.VIEWER)
    found = api.get("/api/runs", {"status": "retrying"}).json()["results"]
    assert [r["id"] for r in found] == [retrier.public_id]
    both = api.get("/api/runs", {"status": ["sleeping"]}).json()["results"]
    assert {r["id"] for r in both} == {sleeper.public_id, retrier.public_id}
    mixed = api.get("/api/runs", {"status": ["retrying", "waiting"]}).json()["results"]
    assert [r["id"] for r in mixed] == [retrier.public_id]


def test_an_unknown_status_names_the_choices_retrying_included(org: Organization) -> None:
    response = api_client(org, Role.VIEWER).get("/api/runs", {"status": "stuck"})
    assert response.status_code == 400
    assert "stuck" in response.content.decode()
    page = member(org, Role.VIEWER).get("/history/", {"status": "retrying"})
    assert page.status_code == 200


def test_a_sleeping_run_woken_first_by_a_sleep_is_not_retrying(org: Organization) -> None:
    run = sleeping(org)  # wakes at SOON for its sleep
    Step.objects.create(
        run=run,
        position=1,
        step_id="step:charge#0/0",
        kind="action",
        status="sleeping",
        wake_at=SOON + timedelta(minutes=5),
        attempts=[{"attempt": 1}],
    )
    found = api_client(org, Role.VIEWER).get("/api/runs", {"status": "retrying"}).json()
    assert found["results"] == []
