"""POST /api/workflows/<slug>/pause | resume, and what a pause holds, without a worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from history.models import AuditEvent, Organization, Run, WorkflowPause
from history.models.accounts import Role
from workflows import store

from ..conftest import api_client
from ..factories import make_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme() -> Organization:
    return Organization.objects.create(slug="acme", name="Acme")


def listed(api: APIClient, kind: str = "workflows") -> dict[str, dict[str, object]]:
    return {w["slug"]: w for w in api.get(f"/api/{kind}").json()["results"]}


def test_an_operator_pauses_and_resumes_a_workflow_audited_with_the_reason(
    api: APIClient, org: Organization
) -> None:
    response = api.post("/api/workflows/greeting/pause", {"reason": "CRM is down"}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert (body["paused"], body["changed"], body["paused_by"], body["pause_reason"]) == (
        True,
        True,
        "key:test-operator",
        "CRM is down",
    )
    pause = WorkflowPause.objects.get()
    assert (pause.organization, pause.slug, pause.reason) == (org, "greeting", "CRM is down")
    greeting = listed(api)["greeting"]
    assert greeting["paused"] is True and greeting["paused_by"] == "key:test-operator"
    assert listed(api)["signup-pipeline"]["paused"] is False

    resumed = api.post("/api/workflows/greeting/resume", format="json")
    assert resumed.status_code == 200
    assert (resumed.json()["paused"], resumed.json()["changed"]) == (False, True)
    assert not WorkflowPause.objects.exists()
    events = list(AuditEvent.objects.order_by("id").values_list("action", "target", "details"))
    assert [(action, target) for action, target, _ in events] == [
        ("workflow.pause", "greeting"),
        ("workflow.resume", "greeting"),
    ]
    assert events[0][2]["reason"] == "CRM is down" and events[1][2]["queued_runs"] == 0


def test_pausing_twice_or_resuming_an_active_workflow_changes_nothing(api: APIClient) -> None:
    api.post("/api/workflows/greeting/pause", {"reason": "first"}, format="json")
    again = api.post("/api/workflows/greeting/pause", {"reason": "second"}, format="json")
    assert again.status_code == 200
    assert again.json()["changed"] is False and "already paused" in again.json()["message"]
    assert WorkflowPause.objects.get().reason == "first", "the first pause stands"
    idle = api.post("/api/workflows/signup-pipeline/resume", format="json")
    assert idle.status_code == 200
    assert idle.json()["changed"] is False and "was not paused" in idle.json()["message"]
    assert AuditEvent.objects.filter(action__startswith="workflow.").count() == 1


def test_a_viewer_may_not_pause_or_resume(org: Organization) -> None:
    viewer = api_client(org, Role.VIEWER)
    assert viewer.post("/api/workflows/greeting/pause", format="json").status_code == 403
    store.pause_txn(org.pk, "greeting", "alice", "")
    refused = viewer.post("/api/workflows/greeting/resume", format="json")
    assert refused.status_code == 403
    assert refused.json()["error"]["type"] == "permission_denied"
    assert WorkflowPause.objects.get().paused_by == "alice"
    assert not AuditEvent.objects.exists()


def test_an_unknown_slug_is_404_and_agents_are_paused_by_their_slug(api: APIClient) -> None:
    unknown = api.post("/api/workflows/nope/pause", format="json")
    assert unknown.status_code == 404 and "GET /api/agents" in unknown.json()["error"]["message"]
    assert api.post("/api/agents/greeting/pause", format="json").status_code == 404
    assert api.post("/api/agents/lead-researcher/pause", format="json").json()["kind"] == "agent"
    assert listed(api, "agents")["lead-researcher"]["paused"] is True
    resumed = api.post("/api/workflows/lead-researcher/resume", format="json")
    assert resumed.json()["changed"] is True
    assert not WorkflowPause.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [({"reason": 5}, "reason"), ({"reason": "x" * 501}, "reason"), ({"why": "x"}, "why")],
)
def test_a_bad_body_names_the_field_and_pauses_nothing(
    api: APIClient, body: dict[str, object], field: str
) -> None:
    response = api.post("/api/workflows/greeting/pause", body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_input" and field in error["details"]["fields"]
    assert not WorkflowPause.objects.exists() and not AuditEvent.objects.exists()


def test_a_pause_holds_only_its_own_organizations_queued_runs(
    api: APIClient, org: Organization, acme: Organization
) -> None:
    other = api_client(acme)
    assert other.post("/api/workflows/greeting/pause", format="json").json()["paused"] is True
    assert listed(api)["greeting"]["paused"] is False, "acme's pause is acme's"
    ours, theirs = make_run(org), make_run(acme)
    assert store.claim_run(theirs.pk, "worker-1") is None
    assert store.claim_run(ours.pk, "worker-1") is not None
    theirs.refresh_from_db()
    assert theirs.status == "queued" and theirs.lease_owner == ""


def test_the_sweeper_leaves_held_runs_alone_and_a_dead_workers_run_goes_on(
    org: Organization,
) -> None:
    long_ago = timezone.now() - timedelta(hours=1)
    held = make_run(org, enqueued_at=long_ago)
    lost = make_run(org, "signup-pipeline", enqueued_at=long_ago)
    orphan = make_run(org, status="running", lease_owner="dead", lease_expires_at=long_ago)
    store.pause_txn(org.pk, "greeting", "alice", "")
    assert set(store.stale_run_ids(timezone.now())) == {lost.pk, orphan.pk}
    assert store.requeue_stale(held.pk, timezone.now()) is False
    assert store.claim_run(orphan.pk, "worker-2") is not None, "a started run goes on"


def test_resuming_sends_every_held_run_in_batches_after_each_commit(
    org: Organization, django_capture_on_commit_callbacks
) -> None:
    long_ago = timezone.now() - timedelta(hours=1)
    held = [make_run(org, enqueued_at=long_ago) for _ in range(5)]
    make_run(org, status="sleeping")
    make_run(org, "signup-pipeline")
    with django_capture_on_commit_callbacks() as callbacks:
        assert store.send_held(org.pk, "greeting", batch=2) == 5
    assert len(callbacks) == 5
    sent = Run.objects.filter(pk__in=[run.pk for run in held])
    assert all(run.enqueued_at > long_ago for run in sent), "the sweeper does not send them again"


def test_a_sleeping_run_woken_while_paused_waits_in_the_queue(org: Organization) -> None:
    now = timezone.now()
    sleeper = make_run(org, status="sleeping", started_at=now, wake_at=now - timedelta(seconds=1))
    store.pause_txn(org.pk, "greeting", "alice", "")
    assert store.fire_timer(sleeper.pk, now) is True
    assert store.claim_run(sleeper.pk, "worker-1") is None
    sleeper.refresh_from_db()
    assert sleeper.status == "queued"
    store.unpause_txn(org.pk, "greeting")
    assert store.claim_run(sleeper.pk, "worker-1") is not None
