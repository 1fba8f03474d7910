"""POST /api/runs/<id>/retry with {from_step, input}: a new run that copies the steps before
from_step, without a worker; and the retry without a body, which still continues in place."""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from history.models import AuditEvent, Organization, Run, Step
from history.models.accounts import Role
from history.workspace_files import StorageBlobs

from ..conftest import api_client
from ..factories import make_run

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ORDER = {"marker": "/tmp/effects", "quantity": 1, "flag": "/tmp/paid"}


def step(run: Run, position: int, step_id: str, status: str = "success", **fields: Any) -> Step:
    return Step.objects.create(
        run=run,
        position=position,
        step_id=step_id,
        kind=fields.pop("kind", "action"),
        status=status,
        input={"label": step_id},
        output={"label": step_id} if status == "success" else None,
        attempts=[{"attempt": 1, "started_at": STARTED.isoformat()}],
        started_at=STARTED,
        finished_at=STARTED,
        **fields,
    )


def failed_checkout(org: Organization, **fields: Any) -> Run:
    """A checkout run that reserved, then failed charging."""
    run = make_run(
        org,
        slug="checkout",
        status="failed",
        input=ORDER,
        error={"type": "StepFailed", "message": "no", "step_id": "step:effect#1"},
        **fields,
    )
    step(run, 0, "step:effect#0")
    step(run, 1, "step:effect#1", "failed", error={"type": "StepFailed", "message": "no"})
    return run


def retry(api: APIClient, run: Run, body: Any) -> Any:
    return api.post(f"/api/runs/{run.public_id}/retry", body, format="json")


def test_it_starts_a_linked_run_with_the_earlier_steps_copied_and_the_new_input(
    api: APIClient, org: Organization
) -> None:
    run = failed_checkout(org, step_numbering=Run.StepNumbering.ONE_COUNTER)
    new_input = {**ORDER, "quantity": 3}
    response = retry(api, run, {"from_step": "step:effect#1", "input": new_input})
    assert response.status_code == 201, response.content
    new = Run.objects.get(rerun_of=run)
    assert response.json()["id"] == new.public_id
    assert (new.status, new.input, new.trigger_type, new.trigger_label) == (
        "queued",
        new_input,
        "retry",
        "Retry · from step:effect#1",
    )
    assert new.trigger_raw == {
        "retry_of": run.public_id,
        "from_step": "step:effect#1",
        "input_changed": True,
        "copied_steps": 1,
    }
    assert new.step_numbering == Run.StepNumbering.ONE_COUNTER, "copied ids must match"
    (copied,) = new.steps.all()
    original = run.steps.get(position=0)
    assert (copied.step_id, copied.position, copied.copied, copied.output) == (
        "step:effect#0",
        0,
        True,
        original.output,
    )
    assert (copied.attempts, copied.started_at) == (original.attempts, original.started_at)
    assert new.step_count == 1
    run.refresh_from_db()
    assert (run.status, run.attempt, run.steps.count()) == ("failed", 1, 2), "original untouched"
    event = AuditEvent.objects.get()
    assert (event.action, event.target, event.actor) == (
        "run.retry",
        run.public_id,
        "key:test-operator",
    )
    assert {k: event.details[k] for k in ("from_step", "new_run", "input_changed")} == {
        "from_step": "step:effect#1",
        "new_run": new.public_id,
        "input_changed": True,
    }


def test_without_input_the_new_run_keeps_the_original_input(
    api: APIClient, org: Organization
) -> None:
    run = failed_checkout(org)
    assert retry(api, run, {"from_step": "step:effect#0"}).status_code == 201
    new = Run.objects.get(rerun_of=run)
    assert (new.input, new.steps.count(), new.trigger_raw["input_changed"]) == (ORDER, 0, False)


def test_input_alone_starts_a_new_run_from_the_first_step(
    api: APIClient, org: Organization
) -> None:
    run = failed_checkout(org)
    response = retry(api, run, {"input": {**ORDER, "quantity": 2}})
    assert response.status_code == 201
    new = Run.objects.get(rerun_of=run)
    assert (new.input["quantity"], new.steps.count(), new.trigger_label) == (
        2,
        0,
        "Retry · with new input",
    )


def test_no_body_still_retries_in_place(api: APIClient, org: Organization) -> None:
    run = failed_checkout(org)
    response = api.post(f"/api/runs/{run.public_id}/retry")
    assert response.status_code == 200 and response.json()["id"] == run.public_id
    run.refresh_from_db()
    assert (run.status, run.attempt) == ("queued", 2)
    assert list(run.steps.values_list("step_id", flat=True)) == ["step:effect#0"]
    assert not Run.objects.filter(rerun_of=run).exists()
    assert retry(api, make_run(org, status="failed"), {}).status_code == 200, "{} is no body"


def test_a_viewer_is_refused_and_nothing_is_started(org: Organization) -> None:
    run = failed_checkout(org)
    viewer = api_client(org, Role.VIEWER)
    response = retry(viewer, run, {"from_step": "step:effect#1"})
    assert response.status_code == 403
    assert Run.objects.count() == 1 and not AuditEvent.objects.exists()


def test_another_organizations_run_is_not_found(api: APIClient) -> None:
    other = Organization.objects.create(name="Other", slug="other")
    run = failed_checkout(other)
    assert retry(api, run, {"from_step": "step:effect#1"}).status_code == 404
    assert Run.objects.count() == 1


def test_an_unknown_step_is_refused_naming_from_step_and_the_valid_ids(
    api: APIClient, org: Organization
) -> None:
    run = failed_checkout(org)
    response = retry(api, run, {"from_step": "step:charge#0"})
    assert response.status_code == 400
    message = response.json()["error"]["message"]
    assert "from_step 'step:charge#0' is not a step of run" in message
    assert "step:effect#0, step:effect#1" in message
    assert Run.objects.count() == 1


def test_a_step_inside_an_agent_step_is_refused_naming_the_agent_step(
    api: APIClient, org: Organization
) -> None:
    run = failed_checkout(org)
    step(run, 2, "step:agent:helper#0", kind="agent")
    step(run, 3, "step:model#0", kind="model", parent_position=2)
    response = retry(api, run, {"from_step": "step:model#0"})
    assert response.status_code == 400
    assert "retry from step:agent:helper#0" in response.json()["error"]["message"]


def test_input_the_workflow_refuses_is_a_400_naming_the_field(
    api: APIClient, org: Organization
) -> None:
    run = failed_checkout(org)
    response = retry(api, run, {"from_step": "step:effect#1", "input": {**ORDER, "quantity": 0}})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_input" and "quantity" in error["details"]["fields"]
    assert "Invalid input for checkout: quantity" in error["message"]
    assert Run.objects.count() == 1 and not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"from_step": "step:effect#1", "imput": {}}, "imput"),
        ({"from_step": 3}, "from_step"),
        ({"input": [1, 2]}, "input"),
        ([1], "(body)"),
    ],
)
def test_a_malformed_body_is_a_400_naming_the_field(
    api: APIClient, org: Organization, body: Any, field: str
) -> None:
    run = failed_checkout(org)
    response = retry(api, run, body)
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]
    assert Run.objects.count() == 1


def test_a_run_that_has_not_ended_is_a_conflict(api: APIClient, org: Organization) -> None:
    run = make_run(org, slug="checkout", status="sleeping", input=ORDER)
    step(run, 0, "step:effect#0")
    response = retry(api, run, {"from_step": "step:effect#0"})
    assert response.status_code == 409
    assert "only a run that has ended" in response.json()["error"]["message"]


def test_a_successful_run_can_be_retried_from_a_step(api: APIClient, org: Organization) -> None:
    run = make_run(org, slug="checkout", status="success", input=ORDER)
    step(run, 0, "step:effect#0")
    step(run, 1, "step:effect#1")
    assert retry(api, run, {"from_step": "step:effect#1"}).status_code == 201


def test_a_workflow_that_is_no_longer_registered_is_a_conflict(
    api: APIClient, org: Organization
) -> None:
    run = make_run(org, slug="retired", status="failed")
    step(run, 0, "step:effect#0")
    response = retry(api, run, {"from_step": "step:effect#0"})
    assert response.status_code == 409
    assert "No workflow 'retired' is registered" in response.json()["error"]["message"]


def test_caught_failures_are_copied_and_the_failure_the_run_ended_on_runs_again(
    api: APIClient, org: Organization
) -> None:
    run = make_run(org, slug="checkout", status="failed", input=ORDER)
    step(run, 0, "step:effect#0", "failed")  # caught: the workflow went on to effect#1
    step(run, 1, "step:effect#1")
    step(run, 2, "step:effect#0/0")  # branch 0 went on past its failure
    step(run, 3, "step:effect#1/0", "failed")  # branch 1 failed, the run ended on it
    step(run, 4, "step:effect#0/1")
    step(run, 5, "step:hook:approval#0", kind="hook", token="tk-original")
    step(run, 6, "step:effect#2")
    assert retry(api, run, {"from_step": "step:effect#2"}).status_code == 201
    new = Run.objects.get(rerun_of=run)
    copied = list(new.steps.values_list("step_id", flat=True))
    assert copied == [
        "step:effect#0",
        "step:effect#1",
        "step:effect#0/0",
        "step:effect#0/1",
        "step:hook:approval#0",
    ]
    assert new.steps.get(kind="hook").token == "tk-original", (
        "the resume URL the workflow passed on replays unchanged"
    )
    resumed = APIClient().post("/hooks/tk-original", {"approved": True}, format="json")
    assert resumed.status_code == 409 and run.public_id in resumed.json()["error"]["message"], (
        "the token still names the original's hook, which was answered"
    )


def test_an_agent_step_is_copied_with_its_inner_steps_only_when_all_came_before(
    api: APIClient, org: Organization
) -> None:
    run = make_run(org, slug="checkout", status="failed", input=ORDER)
    step(run, 0, "step:agent:helper#0", kind="agent")
    step(run, 1, "step:model#0", kind="model", parent_position=0)
    step(run, 2, "step:agent:other#0/0", kind="agent")
    step(run, 3, "step:effect#1/0")
    step(run, 4, "step:model#0/0", kind="model", parent_position=2)  # after from_step
    step(run, 5, "step:effect#0", "sleeping", kind="sleep")
    assert retry(api, run, {"from_step": "step:effect#1/0"}).status_code == 201
    new = Run.objects.get(rerun_of=run)
    assert list(new.steps.values_list("step_id", "parent_position")) == [
        ("step:agent:helper#0", None),
        ("step:model#0", 0),
    ]


def test_copying_many_steps_takes_the_same_statements_as_copying_one(
    api: APIClient, org: Organization
) -> None:
    def statements(steps: int) -> int:
        run = make_run(org, slug="checkout", status="failed", input=ORDER)
        for n in range(steps):
            step(run, n, f"step:effect#{n}")
        with CaptureQueriesContext(connection) as queries:
            assert retry(api, run, {"from_step": f"step:effect#{steps - 1}"}).status_code == 201
        return len(queries)

    statements(1)  # the first request of a test also reads what later ones have cached
    # 14 with the store's record of the slug, which it skips once a commit shows it recorded:
    # never inside a test's transaction (tests/history/test_workflow_choices.py pins that)
    assert statements(2) == statements(40) == 14, "one insert copies them all"


def test_the_new_run_gets_the_workspace_its_copied_steps_left(
    api: APIClient, org: Organization
) -> None:
    run = failed_checkout(org)
    source = StorageBlobs(run.uid.hex)
    content = b"reserved 1\n"
    sha = hashlib.sha256(content).hexdigest()
    source.put(sha, io.BytesIO(content))
    digest = source.put_manifest(
        {"log.txt": {"type": "file", "sha256": sha, "size": 11, "x": False}}
    )
    Step.objects.filter(run=run, position=0).update(workspace=digest)

    assert retry(api, run, {"from_step": "step:effect#1"}).status_code == 201
    new = Run.objects.get(rerun_of=run)
    assert new.steps.get(position=0).workspace == digest
    copied = StorageBlobs(new.uid.hex)
    assert copied.manifest(digest)["log.txt"]["sha256"] == sha
    assert copied.open(sha).read() == content


def test_a_retry_whose_workspace_files_are_gone_is_refused_with_a_reason(
    api: APIClient, org: Organization
) -> None:
    run = failed_checkout(org)
    Step.objects.filter(run=run, position=0).update(workspace="ab" * 32)  # stored nowhere
    response = retry(api, run, {"from_step": "step:effect#1"})
    assert response.status_code == 409, response.content
    assert "workspace its earlier steps left is incomplete" in response.json()["error"]["message"]
    assert not Run.objects.filter(rerun_of=run).exists()
