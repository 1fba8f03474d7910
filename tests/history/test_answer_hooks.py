"""Operators answer a run's open hook from its Overview, with a form made from the hook's schema.

The answer is checked like any resume: a refused field is shown next to it and nothing changes;
an accepted one wakes the run and is audited as the user who sent it.
"""

from __future__ import annotations

import re
import sys
from urllib.parse import urlencode

import pytest

from history.models import AuditEvent, Organization, Run, Step
from history.models.accounts import Role
from workflows.engine.context import _hook_schema_path

from ..factories import member, waiting_run

pytestmark = pytest.mark.django_db


def answer_url(run: Run, position: int = 0) -> str:
    return f"/history/{run.public_id}/hooks/{position}/"


def test_the_overview_offers_a_form_of_the_hooks_fields_to_an_operator(org: Organization) -> None:
    run = waiting_run(org, "a" * 40)
    html = member(org).get(run.get_absolute_url()).content.decode()
    form = html[html.index('id="hook-0"') :]
    assert f'action="{answer_url(run)}"' in form
    assert re.search(r'<select id="hook-0-field-approved" name="approved"', form)
    assert 'name="note"' in form and "(required)" in form
    assert "a" * 40 not in html, "the form posts as the user, never with the token"


def test_a_refused_answer_is_shown_next_to_its_field_and_changes_nothing(
    org: Organization,
) -> None:
    run = waiting_run(org, "a" * 40)
    client = member(org, name="olga")
    page = client.post(answer_url(run), {"approved": "perhaps", "note": "kept"})
    assert page.status_code == 400
    html = page.content.decode()
    error = re.search(r'<span class="field-error" id="hook-0-error-approved">(.*?)</span>', html)
    assert error and "valid boolean" in error.group(1)
    assert 'value="kept"' in html, "what was typed is shown again"
    step = Step.objects.get(run=run)
    assert step.status == "waiting" and not AuditEvent.objects.exists()


def test_an_accepted_answer_wakes_the_run_audited_as_the_user(org: Organization) -> None:
    run = waiting_run(org, "a" * 40)
    client = member(org, name="olga")
    answer = client.post(answer_url(run), {"approved": "true", "note": ""}, follow=True)
    assert answer.status_code == 200
    assert "Answered hook approval" in answer.content.decode()
    step = Step.objects.get(run=run)
    assert step.status == "success" and step.output == {"approved": True, "note": ""}
    assert step.resumed_by == "olga"
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.target) == ("hook.resume", "olga", run.public_id)
    assert event.actor_user is not None and event.actor_user.username == "olga"
    second = client.post(answer_url(run), {"approved": "false"}, follow=True)
    assert "no longer waits on that hook" in second.content.decode()
    assert AuditEvent.objects.count() == 1


def test_a_schema_that_is_not_flat_is_answered_in_a_json_editor(org: Organization) -> None:
    module = next(m for name, m in sys.modules.items() if name.endswith(".workflows.leaky"))
    run = waiting_run(org, "a" * 40)
    Step.objects.filter(run=run).update(
        input={"schema": _hook_schema_path("approval", module.Answer)}
    )
    client = member(org)
    html = client.get(run.get_absolute_url()).content.decode()
    assert 'name="payload_json"' in html and "Expected payload (JSON Schema)" in html
    bad = client.post(answer_url(run), {"payload_json": '{"approved": true, "reviewers": "Bo"}'})
    assert (
        bad.status_code == 400 and "reviewers: Input should be a valid list" in bad.content.decode()
    )
    ok = client.post(answer_url(run), {"payload_json": '{"approved": true, "reviewers": ["Bo"]}'})
    assert ok.status_code == 302
    assert Step.objects.get(run=run).output["reviewers"] == ["Bo"]


def test_a_viewer_gets_no_form_and_the_server_refuses(org: Organization) -> None:
    run = waiting_run(org, "a" * 40)
    viewer = member(org, Role.VIEWER)
    assert 'id="hook-0"' not in viewer.get(run.get_absolute_url()).content.decode()
    assert viewer.post(answer_url(run), {"approved": "true"}).status_code == 403
    assert Step.objects.get(run=run).status == "waiting"


def test_another_organizations_run_is_not_found(org: Organization) -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")
    theirs = waiting_run(acme, "c" * 40)
    assert member(org).post(answer_url(theirs), {"approved": "true"}).status_code == 404
    assert Step.objects.get(run=theirs).status == "waiting"


def test_json_nested_too_deep_is_refused_by_name_not_a_server_error(org: Organization) -> None:
    module = next(m for name, m in sys.modules.items() if name.endswith(".workflows.leaky"))
    run = waiting_run(org, "a" * 40)
    Step.objects.filter(run=run).update(
        input={"schema": _hook_schema_path("approval", module.Answer)}
    )
    for url in (answer_url(run), f"/hooks/{'a' * 40}"):
        for text in ("[" * 5000, '{"approved": ' + "9" * 5000 + "}", '{"approved": NaN}'):
            form = urlencode({"payload_json": text})  # as a browser's form sends it
            page = member(org).post(url, form, content_type="application/x-www-form-urlencoded")
            assert page.status_code == 400, (url, text[:20])
    assert Step.objects.get(run=run).status == "waiting"


def test_a_hook_without_a_schema_is_answered_in_a_json_editor(org: Organization) -> None:
    run = waiting_run(org, "a" * 40)
    Step.objects.filter(run=run).update(input={})
    client = member(org)
    html = client.get(run.get_absolute_url()).content.decode()
    assert 'name="payload_json"' in html and ">{}</textarea>" in html
    assert client.post(answer_url(run), {"payload_json": '{"ticket": 7}'}).status_code == 302
    assert Step.objects.get(run=run).output == {"ticket": 7}


def test_a_schema_the_deployed_code_lost_is_said_and_nothing_breaks(org: Organization) -> None:
    run = waiting_run(org, "a" * 40)
    Step.objects.filter(run=run).update(input={"schema": "gone.module:Answer"})
    client = member(org)
    page = client.get(run.get_absolute_url())
    assert page.status_code == 200 and "no longer has" in page.content.decode()
    answered = client.post(answer_url(run), {"approved": "true"}, follow=True)
    assert "no longer has" in answered.content.decode()
    assert client.get(f"/hooks/{'a' * 40}").status_code == 409
    assert Step.objects.get(run=run).status == "waiting"


def test_two_open_hooks_of_one_name_are_answered_each_by_its_own_form(org: Organization) -> None:
    run = waiting_run(org, "a" * 40)
    second = Step.objects.create(
        run=run,
        position=1,
        step_id="step:approval#1/0",
        kind="hook",
        status="waiting",
        token="b" * 40,
        input=Step.objects.get(run=run, position=0).input,
    )
    client = member(org)
    html = client.get(run.get_absolute_url()).content.decode()
    assert 'id="hook-0"' in html and 'id="hook-1"' in html
    assert f'action="{answer_url(run, 1)}"' in html
    assert client.post(answer_url(run, 1), {"approved": "true"}).status_code == 302
    second.refresh_from_db()
    assert second.status == "success" and Step.objects.get(run=run, position=0).status == "waiting"
