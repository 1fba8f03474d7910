"""``keystroke history cancel|retry|bulk`` as a subprocess, against a live server and a worker."""

from __future__ import annotations

import pytest

from history.models import AuditEvent, BulkJob, Organization, Run

from ..conftest import Stack
from ..factories import make_run
from .conftest import Cli

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_cancels_what_a_filter_matches_after_a_dry_run_and_shows_the_job(
    cli: Cli, stack: Stack
) -> None:
    org = Organization.objects.default()
    waiting = [make_run(org, "batch-import", status="waiting") for _ in range(3)]
    other = make_run(org, "nightly", status="waiting")
    filters = ("--workflow", "batch-import", "--status", "waiting,sleeping")

    missing = cli.fails("history", "cancel", *filters)
    assert "Missing option '--reason'" in missing.stderr
    unfiltered = cli.fails("history", "cancel", "--reason", "r")
    assert "or --all for every run" in unfiltered.stderr
    counted = cli.ok("history", "cancel", *filters, "--reason", "bad deploy", "--dry-run")
    assert counted.json() == {"count": 3, "matching": 3, "job_id": None}
    assert not BulkJob.objects.exists()

    stack.worker()
    done = cli.ok("history", "cancel", *filters, "--reason", "bad deploy", "--wait")
    job = done.json()
    assert (job["status"], job["changed"], job["skipped"]) == ("finished", 3, 0)
    assert job["filter"] == {"workflow": "batch-import", "status": ["waiting", "sleeping"]}
    assert "finished: 3 of 3 (3 canceled, 0 skipped)" in done.stderr, "progress on stderr"
    assert {r.status for r in Run.objects.filter(pk__in=[r.pk for r in waiting])} == {"canceled"}
    assert Run.objects.get(pk=other.pk).status == "waiting"
    event = AuditEvent.objects.get(action="runs.bulk_cancel")
    assert (event.target, event.details["reason"], event.details["count"]) == (
        job["job_id"],
        "bad deploy",
        3,
    )

    shown = cli.ok("history", "bulk", job["job_id"]).json()
    assert (shown["job_id"], shown["status"]) == (job["job_id"], "finished")
    table = cli.ok("history", "bulk", "--output", "table").stdout
    assert job["job_id"] in table and "finished" in table
    again = cli.fails("history", "bulk", job["job_id"], "--stop")
    assert "is finished; only a queued or running job can be stopped" in again.stderr


def test_it_refuses_a_filter_that_matches_nothing_or_is_wrong(cli: Cli) -> None:
    nothing = cli.fails("history", "retry", "--workflow", "nope", "--reason", "r")
    assert "filter: No run matches this filter" in nothing.stderr
    wrong = cli.fails("history", "retry", "--status", "broken", "--reason", "r")
    assert "filter.status" in wrong.stderr and "broken" in wrong.stderr
    assert not BulkJob.objects.exists()
