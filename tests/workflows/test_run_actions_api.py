"""POST /api/workflows/<slug> and the run actions, without a worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from history.models import AuditEvent, Organization, Run, Step

from ..factories import make_run

pytestmark = pytest.mark.django_db


def test_it_starts_a_run_and_enqueues_it_after_commit(
    api: APIClient, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        response = api.post(
            "/api/workflows/greeting", {"name": "Ada"}, format="json", HTTP_X_KEYSTROKE_CLIENT="cli"
        )
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["url"].endswith(f"/history/{body['run_id']}/")
    run = Run.objects.get()
    assert (run.input, run.trigger_type, run.trigger_label, run.actor) == (
        {"name": "Ada"},
        "cli",
        "CLI",
        "key:test-operator",
    )
    sends = [c for c in callbacks if "enqueue_on_commit" in c.__qualname__]
    assert len(sends) == 1, "the message is sent only once the run row is committed"


def test_an_unknown_workflow_is_404(api: APIClient) -> None:
    response = api.post("/api/workflows/nope", {}, format="json")
    assert response.status_code == 404
    assert "GET /api/workflows" in response.json()["error"]["message"]


def test_it_lists_workflows_with_their_schemas(api: APIClient) -> None:
    workflows = {w["slug"]: w for w in api.get("/api/workflows").json()["results"]}
    assert {
        "greeting",
        "signup-pipeline",
        "weekly-sales-summary",
        "support-escalation",
    } <= workflows.keys()
    assert workflows["signup-pipeline"]["input_schema"]["required"] == ["name", "email"]


def test_body_errors_have_the_right_status_and_create_nothing(api: APIClient, settings) -> None:
    settings.KEYSTROKE_WORKFLOWS = {"MAX_PAYLOAD": 100}
    too_big = api.post("/api/workflows/greeting", {"name": "x" * 200}, format="json")
    assert too_big.status_code == 413
    not_json = api.post(
        "/api/workflows/greeting", "name=x", content_type="application/x-www-form-urlencoded"
    )
    assert not_json.status_code == 415
    malformed = api.post("/api/workflows/greeting", '{"name": ', content_type="application/json")
    assert malformed.status_code == 400 and "char 9" in malformed.json()["error"]["message"]
    assert not Run.objects.exists()


def test_cancel_of_a_terminal_run_is_a_conflict(api: APIClient, org: Organization) -> None:
    run = make_run(org, status="success")
    response = api.post(f"/api/runs/{run.public_id}/cancel")
    assert response.status_code == 409
    assert response.json()["error"]["type"] == "conflict"
    run.refresh_from_db()
    assert run.status == "success"


def test_cancel_takes_the_children_with_it_and_is_audited(
    api: APIClient, org: Organization
) -> None:
    parent = make_run(org, status="waiting")
    child = make_run(org, status="sleeping", parent=parent)
    grandchild = make_run(org, status="queued", parent=child)
    done = make_run(org, status="success", parent=parent)
    assert api.post(f"/api/runs/{parent.public_id}/cancel").status_code == 200
    statuses = {r.pk: r.status for r in Run.objects.all()}
    assert statuses == {
        parent.pk: "canceled",
        child.pk: "canceled",
        grandchild.pk: "canceled",
        done.pk: "success",
    }
    event = AuditEvent.objects.get()
    assert (event.action, event.target, event.actor) == (
        "run.cancel",
        parent.public_id,
        "key:test-operator",
    )


def test_retry_is_only_for_failed_or_canceled_runs_and_forgets_the_failed_step(
    api: APIClient, org: Organization
) -> None:
    assert (
        api.post(f"/api/runs/{make_run(org, status='running').public_id}/retry").status_code == 409
    )
    run = make_run(
        org, status="failed", error={"type": "X", "message": "m", "step_id": "step:greet#1"}
    )
    Step.objects.create(
        run=run, position=0, step_id="step:greet#0", kind="action", status="success"
    )
    Step.objects.create(run=run, position=1, step_id="step:greet#1", kind="action", status="failed")
    response = api.post(f"/api/runs/{run.public_id}/retry")
    assert response.status_code == 200
    run.refresh_from_db()
    assert (run.status, run.attempt, run.error) == ("queued", 2, None)
    assert list(run.steps.values_list("step_id", flat=True)) == ["step:greet#0"]


def test_rerun_starts_a_new_linked_run_with_the_same_input(
    api: APIClient, org: Organization
) -> None:
    run = make_run(org, status="failed", input={"name": "Ada"})
    response = api.post(f"/api/runs/{run.public_id}/rerun")
    assert response.status_code == 201
    new = Run.objects.get(rerun_of=run)
    assert response.json()["id"] == new.public_id
    assert (new.input, new.status, new.trigger_type, new.trigger_label) == (
        {"name": "Ada"},
        "queued",
        "retry",
        "Retry",
    )


def test_retry_restarts_the_timeout_of_a_workflow_that_has_one(
    api: APIClient, org: Organization
) -> None:
    expired = timezone.now() - timedelta(hours=2)
    run = make_run(org, slug="weekly-sales-summary", status="failed", deadline_at=expired)
    assert api.post(f"/api/runs/{run.public_id}/retry").status_code == 200
    run.refresh_from_db()
    assert run.deadline_at > timezone.now() + timedelta(minutes=59), (
        "the one-hour timeout counts from the retry"
    )


def test_a_nul_character_in_input_is_a_400_not_a_500(api: APIClient) -> None:
    response = api.post("/api/workflows/greeting", {"name": "A\u0000"}, format="json")
    assert response.status_code == 400 and "NUL" in response.json()["error"]["message"]
    assert not Run.objects.exists()


def test_changes_are_audited_with_the_client_address(api: APIClient, org: Organization) -> None:
    run = make_run(org, status="waiting", slug="approval")
    Step.objects.create(
        run=run, position=0, step_id="step:approval#0", kind="hook", status="waiting", token="tk"
    )
    assert (
        APIClient()
        .post("/hooks/tk", {"approved": True}, format="json", REMOTE_ADDR="198.51.100.7")
        .status_code
        == 200
    )
    resumed = AuditEvent.objects.get(action="hook.resume")
    assert (resumed.actor, resumed.details["address"]) == ("hook URL", "198.51.100.7")
    assert (
        api.post(f"/api/runs/{run.public_id}/cancel", REMOTE_ADDR="203.0.113.9").status_code == 200
    )
    assert AuditEvent.objects.get(action="run.cancel").details["address"] == "203.0.113.9"
