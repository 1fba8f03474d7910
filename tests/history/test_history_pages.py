"""History pages: login, scoping, filters, keyset pages, the detail tabs, payloads, actions."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from history.models import AuditEvent, Organization, Run, SavedView, Step
from history.models.accounts import Role

from ..factories import make_run, member, superuser

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(org: Organization) -> Client:
    return member(org, name="alice")


def test_every_page_requires_login(org: Organization) -> None:
    run = make_run(org)
    for url in (
        "/history/",
        f"/history/{run.public_id}/",
        f"/history/{run.public_id}/payload/input/",
    ):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_the_login_page_signs_a_member_in(org: Organization) -> None:
    member(org, name="alice")
    response = Client().post(
        "/accounts/login/", {"username": "alice", "password": "pw-12345678"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/history/"


def test_the_list_shows_only_the_users_organization(alice: Client, org: Organization) -> None:
    mine = make_run(org, "signup-pipeline")
    other = Organization.objects.create(slug="acme", name="Acme")
    theirs = make_run(other, "secret-workflow")
    body = alice.get("/history/").content.decode()
    assert mine.public_id in body and theirs.public_id not in body
    assert alice.get(f"/history/{theirs.public_id}/").status_code == 404


def test_the_list_filters_by_status_slug_and_text(alice: Client, org: Organization) -> None:
    failed = make_run(
        org, "signup-pipeline", status="failed", error={"type": "X", "message": "CRM timed out"}
    )
    running = make_run(org, "greeting", status="running")
    done = make_run(org, "greeting", status="success")

    def ids(query: str) -> set[str]:
        body = alice.get(f"/history/?{query}").content.decode()
        return {r.public_id for r in (failed, running, done) if r.public_id in body}

    assert ids("status=failed") == {failed.public_id}
    assert ids("status=failed&status=running") == {failed.public_id, running.public_id}
    assert ids("slug=greeting") == {running.public_id, done.public_id}
    assert ids("q=crm+timed") == {failed.public_id}
    assert ids(f"q={done.public_id}") == {done.public_id}


def test_the_time_range_presets_filter_on_creation_time(alice: Client, org: Organization) -> None:
    old = make_run(org, created_at=timezone.now() - timedelta(days=3))
    new = make_run(org)
    body = alice.get("/history/?range=24h").content.decode()
    assert new.public_id in body and old.public_id not in body


@pytest.mark.parametrize(
    "query", ["status=exploded", "created_after=yesterday", "before=garbage", "range=1y"]
)
def test_bad_filters_answer_400_with_a_readable_message_and_no_runs(
    alice: Client, org: Organization, query: str
) -> None:
    run = make_run(org)
    response = alice.get(f"/history/?{query}")
    assert response.status_code == 400
    body = response.content.decode()
    assert run.public_id not in body
    assert 'role="alert"' in body


def test_the_list_pages_by_keyset_with_a_constant_number_of_queries(
    alice: Client, org: Organization, django_assert_num_queries
) -> None:
    runs = [make_run(org) for _ in range(60)]
    alice.get("/history/")  # warms the slug cache and the session
    # session, user, membership with its organization, runs, saved views, projects: none per run
    with django_assert_num_queries(6):
        first = alice.get("/history/")
    cursor = first.context["next_cursor"]
    assert [r.pk for r in first.context["runs"]] == [r.pk for r in reversed(runs)][:50]
    second = alice.get(f"/history/?before={cursor}")
    assert [r.pk for r in second.context["runs"]] == [r.pk for r in reversed(runs)][50:]
    assert second.context["next_cursor"] is None


def test_the_empty_state_says_what_to_do(alice: Client) -> None:
    assert "keystroke workflows run" in alice.get("/history/").content.decode()
    assert "Clear the filters" in alice.get("/history/?status=failed").content.decode()


@pytest.mark.parametrize("tab", ["overview", "steps", "metadata", "trace"])
def test_each_tab_renders_with_a_bounded_number_of_queries(
    alice: Client, org: Organization, tab: str, django_assert_max_num_queries
) -> None:
    parent = make_run(org, "signup-pipeline")
    run = make_run(
        org,
        status="failed",
        parent=parent,
        error={"type": "RetriesExhausted", "message": "boom", "step_id": "step:greet#0"},
    )
    for i in range(30):
        Step.objects.create(
            run=run,
            position=i,
            step_id=f"step:greet#{i}",
            kind="action",
            status="success",
            output={"i": i},
        )
    make_run(org, parent=run)
    with django_assert_max_num_queries(10):
        response = alice.get(f"/history/{run.public_id}/?tab={tab}")
    assert response.status_code == 200
    assert f'aria-current="page">{tab.capitalize()}' in response.content.decode()


def test_the_detail_is_a_partial_for_htmx_and_a_page_otherwise(
    alice: Client, org: Organization
) -> None:
    run = make_run(org)
    assert "<html" in alice.get(f"/history/{run.public_id}/").content.decode()
    partial = alice.get(
        f"/history/{run.public_id}/?tab=metadata", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "<html" not in partial and run.public_id in partial


def test_bad_ids_and_tabs_are_bad_requests(alice: Client, org: Organization) -> None:
    run = make_run(org)
    assert alice.get("/history/run_nope/").status_code == 400
    assert alice.get(f"/history/{run.public_id}/?tab=secrets").status_code == 400
    assert alice.get(f"/history/{run.public_id}/?tab=steps&page=x").status_code == 400


def test_payloads_are_escaped_and_offered_as_json_and_yaml(
    alice: Client, org: Organization
) -> None:
    run = make_run(org, input={"html": "<script>alert(1)</script>", "text": "line one\nline two"})
    body = alice.get(f"/history/{run.public_id}/").content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert 'class="language-yaml"' in body and "text: |-" in body


def test_a_large_payload_is_truncated_with_a_download_of_the_whole(
    alice: Client, org: Organization
) -> None:
    run = make_run(org, status="success", output={"blob": "x" * 400_000})
    body = alice.get(f"/history/{run.public_id}/").content.decode()
    assert "Showing the first 256 KB" in body and body.count("x" * 1000) < 400
    download = alice.get(f"/history/{run.public_id}/payload/output/?format=yaml")
    assert download["Content-Disposition"].endswith('-output.yaml"')
    assert download.content.decode().startswith("blob: ") and len(download.content) > 400_000


def test_the_steps_tab_pages_through_a_long_run(alice: Client, org: Organization) -> None:
    run = make_run(org, step_count=250)
    Step.objects.bulk_create(
        Step(run=run, position=i, step_id=f"step:greet#{i}", kind="action", status="success")
        for i in range(250)
    )
    page = alice.get(f"/history/{run.public_id}/?tab=steps&page=4").content.decode()
    assert "step:greet#200" in page and "step:greet#249" in page and "step:greet#199<" not in page
    assert "Steps 201–250 of 250" in page and "Later steps" not in page and "Earlier steps" in page


def test_an_operator_cancels_from_the_page_and_it_is_audited(
    alice: Client, org: Organization
) -> None:
    run = make_run(org, status="sleeping")
    response = alice.post(f"/history/{run.public_id}/cancel/", follow=True)
    assert response.status_code == 200 and "Canceled" in response.content.decode()
    run.refresh_from_db()
    assert run.status == "canceled"
    assert AuditEvent.objects.get().actor == "alice"


def test_a_viewer_sees_no_actions_and_the_server_refuses_them(org: Organization) -> None:
    viewer = member(org, Role.VIEWER, "victor")
    run = make_run(org, status="running")
    assert "Cancel</button>" not in viewer.get(f"/history/{run.public_id}/").content.decode()
    for action in ("cancel", "retry", "rerun"):
        assert viewer.post(f"/history/{run.public_id}/{action}/").status_code == 403
    run.refresh_from_db()
    assert run.status == "running" and not AuditEvent.objects.exists()


def test_retry_of_a_successful_run_is_refused_with_a_message(
    alice: Client, org: Organization
) -> None:
    run = make_run(org, status="success")
    response = alice.post(f"/history/{run.public_id}/retry/", follow=True)
    assert "only failed or canceled runs can be retried" in response.content.decode()
    run.refresh_from_db()
    assert run.status == "success"


def test_rerun_opens_the_new_run(alice: Client, org: Organization) -> None:
    run = make_run(org, status="failed", input={"name": "Ada"})
    response = alice.post(f"/history/{run.public_id}/rerun/")
    new = Run.objects.get(rerun_of=run)
    assert response["Location"] == f"/history/{new.public_id}/?tab=overview"


def test_a_user_saves_and_deletes_a_view(alice: Client) -> None:
    alice.post("/history/views/", {"name": "My failures", "query": "status=failed&slug=greeting"})
    view = SavedView.objects.get()
    assert (view.name, view.query) == ("My failures", "status=failed&slug=greeting")
    assert "My failures" in alice.get("/history/").content.decode()
    alice.post("/history/views/", {"name": "Broken", "query": "status=exploded"})
    assert SavedView.objects.count() == 1
    alice.post(f"/history/views/{view.pk}/delete/")
    assert not SavedView.objects.exists()


def test_the_admin_cancels_selected_runs_and_reports_the_skipped(org: Organization) -> None:
    client = superuser()
    active, done = make_run(org, status="running"), make_run(org, status="success")
    response = client.post(
        "/admin/history/run/",
        {"action": "cancel_selected", "_selected_action": [active.pk, done.pk]},
        follow=True,
    )
    assert "Canceled 1 run(s); skipped 1 that had already finished." in response.content.decode()
    assert Run.objects.get(pk=active.pk).status == "canceled"
    assert Run.objects.get(pk=done.pk).status == "success"


def test_the_admin_shows_runs_and_steps_but_neither_edits_nor_deletes_them(
    org: Organization,
) -> None:
    client = superuser()
    run = make_run(org, status="success", output={"greeting": "hi"})
    assert client.get(f"/admin/history/run/{run.pk}/change/").status_code == 200
    edit = client.post(f"/admin/history/run/{run.pk}/change/", {"status": "failed"})
    assert edit.status_code == 403
    assert client.post(f"/admin/history/run/{run.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/history/run/add/").status_code == 403
    assert Run.objects.get(pk=run.pk).status == "success"


def test_the_admin_keeps_the_default_organization_and_project_findable(
    org: Organization,
) -> None:
    client = superuser()
    project = org.default_project()
    assert (
        client.post(f"/admin/history/project/{project.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert (
        client.post(f"/admin/history/organization/{org.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    page = client.get(f"/admin/history/organization/{org.pk}/change/").content.decode()
    assert 'name="slug"' not in page  # shown, not editable
    assert Organization.objects.default() == org and org.default_project() == project


def test_a_page_cursor_out_of_range_is_a_400(alice: Client) -> None:
    import base64

    cursor = base64.urlsafe_b64encode(b"0001-01-01T00:00:00+05:00|1").decode().rstrip("=")
    assert alice.get(f"/history/?before={cursor}").status_code == 400


def test_viewers_never_see_a_hook_token_that_a_step_input_carries(org: Organization) -> None:
    token = "ab" * 20
    run = make_run(org, status="waiting")
    Step.objects.create(
        run=run,
        position=0,
        step_id="step:notify#0",
        kind="action",
        status="success",
        input={"resume_url": f"http://k.example/hooks/{token}"},
    )
    viewer, operator = member(org, Role.VIEWER, "victor"), member(org, Role.OPERATOR, "olga")
    page = f"/history/{run.public_id}/?tab=steps"
    assert token not in viewer.get(page).content.decode()
    assert "/hooks/[hidden from viewers]" in viewer.get(page).content.decode()
    assert token in operator.get(page).content.decode()
    assert token not in viewer.get(f"/history/{run.public_id}/steps/0/input/").content.decode()
    from ..conftest import api_client

    body = (
        api_client(org, Role.VIEWER)
        .get(f"/api/runs/{run.public_id}?include=steps")
        .content.decode()
    )
    assert token not in body
    assert (
        token
        in api_client(org, Role.OPERATOR)
        .get(f"/api/runs/{run.public_id}?include=steps")
        .content.decode()
    )


def test_an_agent_run_shows_its_conversation_and_each_steps_cost(
    alice: Client, org: Organization
) -> None:
    conversation = [
        {"role": "user", "content": "Research <b>ada</b>@example.com"},
        {
            "role": "assistant",
            "content": "",
            "model": "gpt-4o-mini",
            "tool_calls": [
                {"id": "c1", "name": "lookup-company", "arguments": {"domain": "example.com"}}
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "c1",
            "name": "lookup-company",
            "content": {"employees": 1854},
        },
        {
            "role": "error",
            "content": "UnexpectedModelBehavior: Tool 'lookup-company' exceeded max retries",
        },
    ]
    run = make_run(
        org,
        "lead-researcher",
        kind="agent",
        status="failed",
        conversation=conversation,
        message_count=4,
    )
    Step.objects.create(
        run=run,
        position=0,
        step_id="step:lead-researcher#0",
        kind="agent",
        status="failed",
        input={"message": "Research", "model": "openai:gpt-4o-mini"},
    )
    Step.objects.create(
        run=run,
        position=1,
        step_id="step:model#0",
        kind="model",
        status="success",
        input={"model": "openai:gpt-4o-mini"},
        parent_position=0,
        cost="0.000450",
    )

    overview = alice.get(f"/history/{run.public_id}/").content.decode()
    assert "Conversation (4 messages)" in overview
    assert "Research &lt;b&gt;ada&lt;/b&gt;@example.com" in overview
    assert (
        "<code>lookup-company</code>" in overview
        and "&quot;domain&quot;: &quot;example.com&quot;" in overview
    )
    assert "Tool result · lookup-company" in overview and "&quot;employees&quot;: 1854" in overview
    assert 'class="message role-error"' in overview and "exceeded max retries" in overview

    steps = alice.get(f"/history/{run.public_id}/?tab=steps").content.decode()
    assert 'class="step step-success step-child"' in steps
    assert "Model call openai:gpt-4o-mini" in steps and "$0.00045" in steps


def test_the_admin_lists_triggers_with_next_fire_time_and_disables_them_audited(
    org: Organization,
) -> None:
    from history.models import TriggerState

    client = superuser()
    page = client.get("/admin/history/triggerstate/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "weekly:weekly-sales-summary" in text and "signup:signup-pipeline" in text
    assert "schedule" in text and "webhook" in text and "poll" in text
    weekly = TriggerState.objects.get(organization=org, key="weekly")
    assert weekly.secret == "" and TriggerState.objects.get(organization=org, key="signup").secret
    response = client.post(
        "/admin/history/triggerstate/",
        {"action": "disable_selected", "_selected_action": [weekly.pk]},
        follow=True,
    )
    assert "Disabled 1 trigger(s)" in response.content.decode()
    weekly.refresh_from_db()
    assert not weekly.enabled
    event = AuditEvent.objects.get(action="trigger.disable")
    assert (event.target, event.actor) == ("weekly", "admin:root")
