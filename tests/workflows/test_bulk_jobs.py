"""Bulk jobs on real workers: batch by batch, each committed on its own, stopped between two
batches, cancelling descendants, and never touching runs made after the job.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from history.models import BulkJob, Organization, Run, Step
from workflows import bulk
from workflows.store.bulk import BATCH_SIZE

from ..conftest import Stack
from ..factories import make_run
from ..support import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

# No project defines it: a worker fails each retried run at once, so 2,000 retries stay cheap.
GONE = "retired-workflow"


def connect(autocommit: bool = True) -> psycopg.Connection[Any]:
    db = connection.settings_dict
    return psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"], autocommit=autocommit
    )


@pytest.fixture
def second() -> Iterator[psycopg.Connection[Any]]:
    """A connection of its own: it sees only what the job has committed."""
    conn = connect()
    yield conn
    conn.close()


def one(conn: psycopg.Connection[Any], sql: str, *params: Any) -> Any:
    row = conn.execute(sql, params).fetchone()
    return row[0] if row and len(row) == 1 else row


def start_job(api: APIClient, action: str, filter: dict[str, Any]) -> BulkJob:
    response = api.post(
        "/api/runs/bulk", {"action": action, "filter": filter, "reason": "test"}, format="json"
    )
    assert response.status_code == 202, response.content
    return BulkJob.objects.get(uid=response.json()["job_id"].removeprefix("bulk_"))


def waiting_on(conn: psycopg.Connection[Any], table: str, verb: str) -> bool:
    """Whether a statement of the test database that ``verb``s ``table`` waits on a lock."""
    return bool(
        one(
            conn,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND query ILIKE %s",
            f"{verb}%{table}%",
        )
    )


def test_a_retry_of_2000_runs_commits_batch_by_batch_and_a_stop_ends_it_between_two(
    stack: Stack, api: APIClient, org: Organization, second: psycopg.Connection[Any]
) -> None:
    project = org.default_project()
    Run.objects.bulk_create(
        Run(organization=org, project=project, slug=GONE, status="failed") for _ in range(2000)
    )
    pks = list(Run.objects.order_by("pk").values_list("pk", flat=True))
    # The third batch's first run is held by another transaction: that batch waits on it.
    holder = connect(autocommit=False)
    holder.execute("SELECT 1 FROM history_run WHERE id = %s FOR UPDATE", [pks[2 * BATCH_SIZE]])
    job = start_job(api, "retry", {"workflow": GONE, "status": "failed"})
    assert job.count == 2000
    worker = stack.worker()

    wait_for(lambda: waiting_on(second, "history_run", "SELECT"), what="the third batch to wait")
    # Two batches are committed while the third is under way: 400 runs retried, 1,600 not yet.
    assert one(second, "SELECT processed, changed, batches FROM history_bulkjob") == (400, 400, 2)
    assert one(second, "SELECT count(*) FROM history_run WHERE attempt = 2") == 400
    assert pks[: 2 * BATCH_SIZE] == [
        pk for (pk,) in second.execute("SELECT id FROM history_run WHERE attempt = 2 ORDER BY id")
    ]

    stopped: dict[str, Any] = {}
    stopper = threading.Thread(
        target=lambda: stopped.update(api.post(f"/api/runs/bulk/{job.public_id}/stop").json())
    )
    stopper.start()  # it waits for the batch under way, which holds the job's row
    wait_for(lambda: waiting_on(second, "history_bulkjob", "UPDATE"), what="the stop to wait")
    holder.commit()  # the third batch goes on, commits, and the stop follows it
    stopper.join()
    holder.close()
    assert stopped["status"] == "stopped"
    # The batch after the stop is still sent; it finds the job stopped and does nothing.
    wait_for(
        lambda: re.search(r"run_bulk_batch\[[^\]]+\] succeeded in [\d.]+s: False", worker.output()),
        what="the fourth batch to find the job stopped",
    )

    job.refresh_from_db()
    assert (job.status, job.processed, job.changed, job.skipped, job.batches) == (
        "stopped",
        600,
        600,
        0,
        3,
    )
    assert Run.objects.filter(attempt=2).count() == 600
    untouched = Run.objects.filter(attempt=1)
    assert untouched.count() == 1400 and set(untouched.values_list("status", flat=True)) == {
        "failed"
    }
    assert min(untouched.values_list("pk", flat=True)) == pks[600]


def test_a_cancel_takes_descendants_tells_parents_and_leaves_runs_made_after_it_alone(
    stack: Stack, api: APIClient, org: Organization
) -> None:
    root = make_run(org, "batch-import", status="waiting")
    child = make_run(org, "lookup", status="sleeping", parent=root)
    grandchild = make_run(org, "lookup", status="queued", parent=child)
    parent = make_run(org, "nightly", status="waiting")
    waiting_child = make_run(org, "batch-import", status="waiting", parent=parent)
    step = Step.objects.create(
        run=parent,
        position=0,
        step_id="step:batch-import#0",
        kind="workflow",
        status="waiting",
        child_run=waiting_child,
    )
    finished = make_run(org, "batch-import", status="success")
    job = start_job(api, "cancel", {"workflow": "batch-import"})
    later = make_run(org, "batch-import", status="waiting")
    stack.worker()

    wait_for(lambda: BulkJob.objects.get().status == "finished", what="the job to finish")
    job.refresh_from_db()
    assert (job.count, job.changed, job.skipped, job.batches) == (2, 2, 0, 1)
    status = dict(Run.objects.values_list("pk", "status"))
    assert [status[r.pk] for r in (root, child, grandchild, waiting_child)] == ["canceled"] * 4
    assert (status[finished.pk], status[later.pk]) == ("success", "waiting")
    step.refresh_from_db()
    assert step.status == "failed" and "canceled" in step.error["message"]
    parent.refresh_from_db()
    assert parent.wakeups == 1, "the parent is woken to see its child's end"


def test_a_run_that_no_longer_qualifies_is_skipped_and_a_repeated_batch_does_nothing(
    api: APIClient, org: Organization
) -> None:
    runs = [make_run(org, GONE, status="failed") for _ in range(3)]
    job = start_job(api, "retry", {"workflow": GONE})
    Run.objects.filter(pk=runs[1].pk).update(status="queued")  # retried by hand meanwhile
    assert bulk.run_batch(job.pk, 0) is False, "one batch does it"
    assert bulk.run_batch(job.pk, 0) is False
    job.refresh_from_db()
    assert (job.status, job.count, job.changed, job.skipped, job.processed) == (
        "finished",
        3,
        2,
        1,
        2,
    )
    assert [r.attempt for r in Run.objects.order_by("pk")] == [2, 1, 2]


def test_the_sweeper_resends_the_batch_of_a_job_that_stopped_moving(
    api: APIClient, org: Organization
) -> None:
    make_run(org, GONE, status="failed")
    job = start_job(api, "retry", {"workflow": GONE})
    assert bulk.resend_stale() == 0, "a job just made is not stale"
    stalled = timezone.now() - timedelta(minutes=5)
    BulkJob.objects.filter(pk=job.pk).update(updated_at=stalled)
    assert bulk.resend_stale() == 1
    job.refresh_from_db()
    assert job.updated_at > stalled, "resent once, not at every sweep"
    assert bulk.resend_stale() == 0


@pytest.mark.parametrize(("action", "status"), [("retry", "failed"), ("cancel", "waiting")])
def test_a_batch_costs_five_statements_and_a_fixed_number_per_run(
    api: APIClient, org: Organization, django_assert_num_queries: Any, action: str, status: str
) -> None:
    for _ in range(10):
        make_run(org, GONE, status=status)
    job = start_job(api, action, {"workflow": GONE})
    # BEGIN and COMMIT, the job's lock, the batch, the job's counts; per run its conditional
    # UPDATE and what a single cancel or retry adds: the metric and the children for a cancel;
    # for a retry the steps it runs again, found from its top-level steps (a caught failure
    # stays), and deleted.
    per_run = {"cancel": 3, "retry": 4}[action]
    with django_assert_num_queries(5 + per_run * 10):
        bulk.run_batch(job.pk, 0)
    assert BulkJob.objects.get().changed == 10


def test_a_batch_that_keeps_failing_fails_the_job_and_never_widens_its_filter(
    stack: Stack, api: APIClient, org: Organization
) -> None:
    for slug in (GONE, GONE, "nightly"):
        make_run(org, slug, status="waiting")
    job = start_job(api, "cancel", {"workflow": GONE, "status": "waiting"})
    # As if a later version no longer knew the status: the batch must fail, not drop the field.
    BulkJob.objects.filter(pk=job.pk).update(filter={"workflow": GONE, "status": "paused"})
    stack.worker()
    wait_for(lambda: BulkJob.objects.get().status == "failed", what="the job to fail")
    job.refresh_from_db()
    assert "filter.status" in job.error and job.changed == 0
    assert set(Run.objects.values_list("status", flat=True)) == {"waiting"}
