"""GET /hooks/<token> asks before it resumes: a link scanner that fetches it changes nothing.

The page shows the hook's fields, filled from the link's query; its form POSTs them, and only
that resumes the run.
"""

from __future__ import annotations

import json
import re
import sys
from html import unescape
from urllib.parse import urlencode

import pytest
from django.test import Client

from history.models import AuditEvent, Organization, Run, Step
from workflows.engine.context import _hook_schema_path

pytestmark = pytest.mark.django_db
FORM = "application/x-www-form-urlencoded"  # what a browser's form sends


def submit(fields: dict[str, str]):  # type: ignore[no-untyped-def]
    return Client().post("/hooks/tok3n", urlencode(fields), content_type=FORM)


def approval_schema() -> str:
    module = next(m for name, m in sys.modules.items() if name.endswith(".workflows.scenarios"))
    return str(_hook_schema_path("approval", module.Approval))


@pytest.fixture
def hook(org: Organization) -> Step:
    run = Run.objects.create(
        organization=org, project=org.default_project(), slug="approval", status="waiting"
    )
    return Step.objects.create(
        run=run,
        position=0,
        step_id="step:approval#0",
        kind="hook",
        status="waiting",
        token="tok3n",
        input={"schema": approval_schema()},
    )


def test_a_get_shows_the_form_and_resumes_nothing(hook: Step) -> None:
    page = Client().get("/hooks/tok3n?approved=true&note=refund%20%3Cb%3Eok%3C/b%3E")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    html = page.content.decode()
    assert 'method="post"' in html and 'name="approved"' in html and 'name="note"' in html
    assert "refund &lt;b&gt;ok&lt;/b&gt;" in html and "<b>ok</b>" not in html, (
        "the query is escaped"
    )
    assert hook.run.public_id in html and "approval" in html
    hook.refresh_from_db()
    assert hook.status == "waiting" and not AuditEvent.objects.exists()


def test_the_form_post_resumes_the_run_once(hook: Step) -> None:
    done = submit({"approved": "true", "note": "ok"})
    assert done.status_code == 200 and "resumed" in done.content.decode().lower()
    hook.refresh_from_db()
    assert (hook.status, hook.output) == ("success", {"approved": True, "note": "ok"})
    assert Run.objects.get().status == "queued"
    again = submit({"approved": "false"})
    assert again.status_code == 409 and "already resumed" in again.content.decode()


def test_a_form_the_schema_refuses_shows_the_field_and_resumes_nothing(hook: Step) -> None:
    page = submit({"approved": "perhaps"})
    assert page.status_code == 400
    assert "approved" in page.content.decode() and 'name="approved"' in page.content.decode()
    hook.refresh_from_db()
    assert hook.status == "waiting"


def test_a_nul_in_a_form_field_is_a_400_page_and_resumes_nothing(hook: Step) -> None:
    page = submit({"approved": "true", "note": "a\x00b"})
    assert page.status_code == 400 and "NUL" in page.content.decode()
    assert 'name="note"' in page.content.decode(), "the form is shown again"
    hook.refresh_from_db()
    assert hook.status == "waiting" and not AuditEvent.objects.exists()


def test_a_schema_that_is_not_flat_gets_a_json_editor_with_its_defaults(
    org: Organization,
) -> None:
    module = next(m for name, m in sys.modules.items() if name.endswith(".workflows.leaky"))
    run = Run.objects.create(
        organization=org, project=org.default_project(), slug="leaky-hook", status="waiting"
    )
    schema = str(_hook_schema_path("approval", module.Answer))  # it holds a list of reviewers
    step = Step.objects.create(
        run=run,
        position=0,
        step_id="step:approval#0",
        kind="hook",
        status="waiting",
        token="t2",
        input={"schema": schema},
    )
    html = Client().get("/hooks/t2").content.decode()
    editor = re.search(r'<textarea[^>]*name="payload_json"[^>]*>(.*?)</textarea>', html, re.S)
    assert editor is not None and "pydanticundefined" not in html.lower()
    # Defaults as they are (a factory's included, an enum's value), and a start for the rest.
    assert json.loads(unescape(editor.group(1))) == {
        "approved": False,
        "team": "Ops Team",
        "reviewers": ["Ada"],
        "urgency": "normal",
    }
    bad = Client().post(
        "/hooks/t2", urlencode({"payload_json": '{"approved": true,'}), content_type=FORM
    )
    assert bad.status_code == 400 and "not valid JSON" in bad.content.decode()
    wrong = Client().post(
        "/hooks/t2",
        urlencode({"payload_json": '{"approved": true, "urgency": "later"}'}),
        content_type=FORM,
    )
    assert wrong.status_code == 400 and "urgency" in wrong.content.decode()
    answer = Client().post(
        "/hooks/t2",
        urlencode({"payload_json": '{"approved": true, "reviewers": ["Bo", "Cy"]}'}),
        content_type=FORM,
    )
    assert answer.status_code == 200, answer.content.decode()[-500:]
    step.refresh_from_db()
    assert step.output == {
        "approved": True,
        "team": "Ops Team",
        "reviewers": ["Bo", "Cy"],
        "urgency": "normal",
    }


def test_an_unknown_token_is_a_404_page() -> None:
    page = Client().get("/hooks/no-such-token")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_json_posts_resume_as_before(hook: Step) -> None:
    response = Client().post("/hooks/tok3n", {"approved": True}, content_type="application/json")
    assert response.status_code == 200 and response.json()["ok"] is True
