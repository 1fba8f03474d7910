"""POST /api/runs/bulk, GET /api/runs/bulk/<id> and its stop, without a worker: starting, counting,
refusing bad input, roles and organizations. The batches are tests/workflows/test_bulk_jobs.py's.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from history.models import AuditEvent, BulkJob, Organization, Run
from history.models.accounts import Role

from ..conftest import api_client
from ..factories import make_run

pytestmark = pytest.mark.django_db


def bulk(client: APIClient, **body: Any) -> Any:
    return client.post("/api/runs/bulk", body, format="json")


def failed_runs(org: Organization, n: int, slug: str = "greeting") -> list[Run]:
    return [make_run(org, slug=slug, status="failed") for _ in range(n)]


def test_a_dry_run_counts_what_the_action_would_change_and_creates_nothing(
    api: APIClient, org: Organization
) -> None:
    failed_runs(org, 3)
    make_run(org, status="success")
    make_run(org, slug="signup-pipeline", status="failed")
    response = bulk(api, action="retry", filter={"workflow": "greeting"}, dry_run=True)
    assert response.status_code == 200
    assert response.json() == {"count": 3, "matching": 4, "job_id": None}
    assert not BulkJob.objects.exists() and not AuditEvent.objects.exists()
    assert Run.objects.filter(status="failed").count() == 4


def test_it_starts_a_job_audited_once_and_sends_its_first_batch_after_commit(
    api: APIClient, org: Organization, django_capture_on_commit_callbacks
) -> None:
    failed_runs(org, 2)
    with django_capture_on_commit_callbacks() as callbacks:
        response = bulk(
            api,
            action="retry",
            filter={"status": ["failed"], "workflow": "greeting"},
            reason="bad deploy 4121",
        )
    assert response.status_code == 202
    body = response.json()
    job = BulkJob.objects.get()
    assert body == {
        "count": 2,
        "job_id": job.public_id,
        "url": f"http://testserver/api/runs/bulk/{job.public_id}",
    }
    assert len(callbacks) == 1, "the first batch is sent once the job row is committed"
    assert (job.status, job.action, job.created_by, job.processed) == (
        "queued",
        "retry",
        "key:test-operator",
        0,
    )
    event = AuditEvent.objects.get()
    assert (event.action, event.target, event.actor) == (
        "runs.bulk_retry",
        job.public_id,
        "key:test-operator",
    )
    assert event.details == {
        "filter": {"status": ["failed"], "workflow": "greeting"},
        "reason": "bad deploy 4121",
        "count": 2,
        "address": "127.0.0.1",
    }
    assert Run.objects.filter(status="failed").count() == 2, "the batches change the runs"

    progress = api.get(f"/api/runs/bulk/{job.public_id}").json()
    assert (progress["status"], progress["count"], progress["percent"]) == ("queued", 2, 0)
    assert progress["url"] == f"http://testserver/history/bulk/{job.public_id}/"
    listed = api.get("/api/runs/bulk").json()["results"]
    assert [j["job_id"] for j in listed] == [job.public_id]


GOOD = {"action": "retry", "filter": {}, "reason": "r"}


@pytest.mark.parametrize(
    ("change", "field", "says"),
    [
        ({"reason": None}, "reason", "Say why"),
        ({"reason": "   "}, "reason", "Say why"),
        ({"action": "delete"}, "action", "use cancel or retry"),
        ({"action": {"cancel": 1}}, "action", "use cancel or retry"),
        ({"filter": {"colour": "red"}}, "filter.colour", "not a run filter"),
        ({"filter": {"limit": 5}}, "filter.limit", "the filters are"),
        ({"filter": {"status": "broken"}}, "filter.status", "broken"),
        ({"filter": {"id": ["run_x"]}}, "filter.id", "run_x"),
        ({"filter": {"workflow": {"a": 1}}}, "filter.workflow", "string"),
        ({"filter": ["failed"]}, "filter", "as an object"),
        ({"filter": None}, "filter", "{} is every run"),
        ({"dry_run": "yes"}, "dry_run", "true or false"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    api: APIClient, org: Organization, change: dict[str, Any], field: str, says: str
) -> None:
    failed_runs(org, 1)
    body = {k: v for k, v in (GOOD | change).items() if v is not None}
    response = api.post("/api/runs/bulk", body, format="json")
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["type"] == "invalid_request"
    assert says in " ".join(error["details"][field])
    assert not BulkJob.objects.exists() and not AuditEvent.objects.exists()
    assert Run.objects.get().status == "failed"


def test_a_filter_that_matches_nothing_to_change_is_a_400(
    api: APIClient, org: Organization
) -> None:
    make_run(org, status="success")
    nothing = bulk(api, action="cancel", filter={"workflow": "nope"}, reason="r")
    assert nothing.status_code == 400
    assert "No run matches this filter" in nothing.json()["error"]["details"]["filter"][0]
    finished = bulk(api, action="cancel", filter={"workflow": "greeting"}, reason="r")
    assert finished.status_code == 400
    assert finished.json()["error"]["details"]["filter"] == [
        "None of the 1 runs matching this filter can be canceled: only queued, running, "
        "sleeping or waiting runs can."
    ]
    assert not BulkJob.objects.exists()


def test_selected_rows_are_a_filter_of_run_ids_which_the_run_list_takes_too(
    api: APIClient, org: Organization
) -> None:
    picked, other = make_run(org, status="waiting"), make_run(org, status="waiting")
    third = make_run(org, status="queued")
    ids = [picked.public_id, third.public_id]
    listed = api.get("/api/runs", {"id": ids}).json()["results"]
    assert {r["id"] for r in listed} == set(ids)
    assert api.get("/api/runs", {"id": "run_nope"}).status_code == 400
    answer = bulk(api, action="cancel", filter={"id": ids}, dry_run=True).json()
    assert answer["count"] == 2
    assert other.status == "waiting"


def test_a_relative_time_range_is_kept_as_the_time_it_started_at(
    api: APIClient, org: Organization
) -> None:
    failed_runs(org, 1)
    bulk(api, action="retry", filter={"range": ["24h"], "status": "failed"}, reason="r")
    job = BulkJob.objects.get()
    assert set(job.filter) == {"status", "created_after"}, "later batches match the same runs"


def test_viewers_follow_jobs_but_neither_start_nor_stop_them(org: Organization) -> None:
    failed_runs(org, 1)
    operator, viewer = api_client(org, Role.OPERATOR), api_client(org, Role.VIEWER)
    started = bulk(operator, action="retry", filter={}, reason="r").json()
    refused = bulk(viewer, action="retry", filter={}, reason="r")
    assert refused.status_code == 403
    assert "operator" in refused.json()["error"]["message"]
    assert bulk(viewer, action="retry", filter={}, dry_run=True).status_code == 403
    assert viewer.post(f"/api/runs/bulk/{started['job_id']}/stop").status_code == 403
    assert viewer.get(f"/api/runs/bulk/{started['job_id']}").json()["status"] == "queued"
    assert BulkJob.objects.get().status == "queued"


def test_a_stopped_job_stays_stopped_and_a_second_stop_is_a_conflict(
    api: APIClient, org: Organization
) -> None:
    failed_runs(org, 1)
    job_id = bulk(api, action="retry", filter={}, reason="r").json()["job_id"]
    stopped = api.post(f"/api/runs/bulk/{job_id}/stop")
    assert stopped.status_code == 200
    assert (stopped.json()["status"], stopped.json()["stopped_by"]) == (
        "stopped",
        "key:test-operator",
    )
    again = api.post(f"/api/runs/bulk/{job_id}/stop")
    assert again.status_code == 409 and "is stopped" in again.json()["error"]["message"]
    assert list(AuditEvent.objects.values_list("action", flat=True).order_by("id")) == [
        "runs.bulk_retry",
        "runs.bulk_stop",
    ]


def test_another_organizations_job_is_a_404_and_a_malformed_id_a_400(
    api: APIClient, org: Organization
) -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")
    failed_runs(acme, 1)
    theirs = bulk(api_client(acme), action="retry", filter={}, reason="r").json()["job_id"]
    assert api.get(f"/api/runs/bulk/{theirs}").status_code == 404
    assert api.post(f"/api/runs/bulk/{theirs}/stop").status_code == 404
    assert api.get("/api/runs/bulk").json()["results"] == []
    assert BulkJob.objects.get().status == "queued"
    malformed = api.get("/api/runs/bulk/run_123")
    assert malformed.status_code == 400 and "bulk_<32 hex digits>" in malformed.text
    # The filter reads the caller's organization only.
    assert bulk(api, action="retry", filter={}, reason="r").status_code == 400


def test_bulk_is_a_route_of_its_own_not_a_run_id(api: APIClient, org: Organization) -> None:
    run = make_run(org, status="failed")
    assert api.get("/api/runs/bulk").status_code == 200
    assert bulk(api, action="retry", filter={}, dry_run=True).json()["count"] == 1
    assert api.get(f"/api/runs/{run.public_id}").json()["id"] == run.public_id
    assert api.get("/api/runs/nope").status_code == 400
    assert api.post(f"/api/runs/{run.public_id}/retry").status_code == 200
