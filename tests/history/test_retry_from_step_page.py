"""History's Retry from here: the link in the Steps tab and the form behind it, without a
worker."""

from __future__ import annotations

import json

import pytest

from history.models import AuditEvent, Organization, Run, Step
from history.models.accounts import Role

from ..factories import make_run, member

pytestmark = pytest.mark.django_db

ORDER = {"marker": "/tmp/effects", "quantity": 1, "flag": ""}


def checkout(org: Organization, status: str = "failed") -> Run:
    run = make_run(org, slug="checkout", status=status, input=ORDER)
    Step.objects.create(
        run=run, position=0, step_id="step:effect#0", kind="action", status="success"
    )
    Step.objects.create(
        run=run, position=1, step_id="step:effect#1", kind="action", status="failed"
    )
    return run


def form_url(run: Run, position: int = 1) -> str:
    return f"/history/{run.public_id}/retry-from/{position}/"


def test_operators_see_retry_from_here_on_each_step_of_an_ended_run(org: Organization) -> None:
    run = checkout(org)
    steps = member(org).get(f"/history/{run.public_id}/?tab=steps").content.decode()
    assert steps.count("Retry from here") == 2 and form_url(run) in steps
    running = checkout(org, status="running")
    assert (
        "Retry from here"
        not in member(org).get(f"/history/{running.public_id}/?tab=steps").content.decode()
    )
    viewer = member(org, Role.VIEWER).get(f"/history/{run.public_id}/?tab=steps")
    assert "Retry from here" not in viewer.content.decode()


def test_the_form_is_prefilled_with_the_input_and_starts_the_new_run(org: Organization) -> None:
    run = checkout(org)
    operator = member(org)
    page = operator.get(form_url(run))
    assert page.status_code == 200 and "step:effect#1" in page.content.decode()
    assert json.loads(page.context["input"]) == ORDER
    done = operator.post(form_url(run), {"input": json.dumps({**ORDER, "quantity": 2})})
    new = Run.objects.get(rerun_of=run)
    assert done.status_code == 302 and done.url == f"{new.get_absolute_url()}?tab=steps"
    assert list(new.steps.values_list("step_id", "copied")) == [("step:effect#0", True)]
    assert AuditEvent.objects.get().details["input_changed"] is True


@pytest.mark.parametrize(
    ("text", "field", "message"),
    [
        ('{"marker": ', "input", "The input is not valid JSON"),
        (json.dumps({**ORDER, "quantity": 0}), "quantity", "greater than or equal to 1"),
    ],
)
def test_bad_input_is_shown_next_to_the_field_and_starts_nothing(
    org: Organization, text: str, field: str, message: str
) -> None:
    run = checkout(org)
    page = member(org).post(form_url(run), {"input": text})
    assert page.status_code == 400
    assert any(message in m for m in page.context["errors"][field])
    assert page.context["input"] == text, "what was typed stays in the field"
    assert Run.objects.count() == 1 and not AuditEvent.objects.exists()


def test_a_run_that_has_not_ended_is_refused_on_the_form(org: Organization) -> None:
    run = checkout(org, status="sleeping")
    page = member(org).post(form_url(run), {"input": json.dumps(ORDER)})
    assert page.status_code == 400 and "only a run that has ended" in page.context["refused"]
    assert Run.objects.count() == 1


def test_viewers_other_organizations_and_inner_steps_get_no_form(org: Organization) -> None:
    run = checkout(org)
    viewer = member(org, Role.VIEWER)
    assert viewer.get(form_url(run)).status_code == 403
    assert viewer.post(form_url(run), {"input": json.dumps(ORDER)}).status_code == 403
    other = Organization.objects.create(name="Other", slug="other")
    assert member(other).get(form_url(run)).status_code == 404
    Step.objects.create(
        run=run,
        position=2,
        step_id="step:model#0",
        kind="model",
        status="success",
        parent_position=1,
    )
    assert member(org).get(form_url(run, 2)).status_code == 404
    assert member(org).get(form_url(run, 9)).status_code == 404
    assert Run.objects.count() == 1 and not AuditEvent.objects.exists()
