"""Hooks waiting for people over the API: the organization's open ones, and answering one by
its run and name with an operator's key."""

from __future__ import annotations

import pytest

from history.models import AuditEvent, Organization, Step
from history.models.accounts import Role

from ..conftest import api_client
from ..factories import waiting_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme() -> Organization:
    return Organization.objects.create(slug="acme", name="Acme")


def test_the_open_hooks_of_the_organization_are_listed_without_their_tokens(
    org: Organization, acme: Organization
) -> None:
    ours = waiting_run(org, "a" * 40)
    waiting_run(org, "b" * 40, status="success")  # answered already
    waiting_run(acme, "c" * 40)
    response = api_client(org, Role.VIEWER).get("/api/hooks", {"status": "open"})
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["run_id"] == ours.public_id and row["hook"] == "approval"
    assert row["step_id"] == "step:approval#0" and row["workflow"] == "approval"
    assert row["since"].startswith("2026-12-01T09:00") and row["times_out_at"]
    assert "approved" in row["schema"]["properties"]
    assert "a" * 40 not in response.content.decode()


def test_a_status_other_than_open_is_refused_naming_the_parameter(org: Organization) -> None:
    response = api_client(org, Role.VIEWER).get("/api/hooks", {"status": "done"})
    assert response.status_code == 400 and "status" in response.content.decode()


def test_an_operator_answers_a_hook_by_run_and_name_and_it_is_audited(org: Organization) -> None:
    run = waiting_run(org, "a" * 40)
    operator = api_client(org, Role.OPERATOR)
    url = f"/api/runs/{run.public_id}/hooks/approval"
    response = operator.post(url, {"approved": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "run_id": run.public_id, "step_id": "step:approval#0"}
    step = Step.objects.get(run=run)
    assert step.status == "success" and step.output["approved"] is True
    assert step.resumed_by == "key:test-operator"
    event = AuditEvent.objects.get(action="hook.resume")
    assert event.actor == "key:test-operator"
    again = operator.post(url, {"approved": False}, format="json")
    assert again.status_code == 409


def test_a_bad_answer_names_the_field_and_changes_nothing(org: Organization) -> None:
    run = waiting_run(org, "a" * 40)
    url = f"/api/runs/{run.public_id}/hooks/approval"
    response = api_client(org, Role.OPERATOR).post(url, {"approved": "maybe"}, format="json")
    assert response.status_code == 400
    assert "approved" in response.json()["error"]["details"]["fields"]
    assert Step.objects.get(run=run).status == "waiting"


def test_viewers_unknown_hooks_and_other_organizations_runs_are_refused(
    org: Organization, acme: Organization
) -> None:
    ours, theirs = waiting_run(org, "a" * 40), waiting_run(acme, "c" * 40)
    viewer, operator = api_client(org, Role.VIEWER), api_client(org, Role.OPERATOR)
    body = {"approved": True}
    assert (
        viewer.post(f"/api/runs/{ours.public_id}/hooks/approval", body, format="json").status_code
        == 403
    )
    assert (
        operator.post(f"/api/runs/{ours.public_id}/hooks/refund", body, format="json").status_code
        == 404
    )
    assert (
        operator.post(
            f"/api/runs/{theirs.public_id}/hooks/approval", body, format="json"
        ).status_code
        == 404
    )
    assert Step.objects.get(run=theirs).status == "waiting"
