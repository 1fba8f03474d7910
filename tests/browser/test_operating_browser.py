"""Operating runs in a real browser: answering a hook through its form, a live detail page, and
cancelling from the Django admin; as an operator and as a viewer."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, expect
from rest_framework.test import APIClient

from history.models import AuditEvent, Membership, Organization, Run, Step
from history.models.accounts import Role

from ..conftest import Stack
from ..factories import make_run
from ..workflows.test_worker import start, status_becomes
from .people import PASSWORD, person, post_status, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = pytest.mark.django_db(transaction=True)


def test_an_operator_answers_a_hook_through_its_form_and_the_run_goes_on(
    browser: Browser, live_server, stack: Stack, api: APIClient, org: Organization, tmp_path
) -> None:
    person(org, "olga", Role.OPERATOR)
    stack.worker()
    run = status_becomes(start(api, "approval", {"marker": str(tmp_path / "m")}), "waiting")
    page = browser.new_page()
    sign_in(page, live_server.url, "olga")
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    form = page.locator("[data-hook=approval]")
    expect(form).to_contain_text("Answer hook approval")
    form.get_by_label("note").fill("ship it")
    form.get_by_role("button", name="Resume").click()  # "approved" left empty: it is required
    form = page.locator("[data-hook=approval]")
    expect(form.locator("[id$=-error-approved]")).to_have_text("Field required")
    expect(form.get_by_label("note")).to_have_value("ship it")
    assert Step.objects.get(run=run, kind="hook").status == "waiting"

    form.get_by_label("approved (required)").select_option("true")
    form.get_by_role("button", name="Resume").click()
    expect(page.locator(".alert")).to_contain_text("Answered hook approval")
    # The page refreshes itself until the run ends, then shows its output once.
    expect(page.locator(".run-header .status")).to_have_text("Success", timeout=30_000)
    output = page.locator("[data-payload]").filter(has_text="Output")
    expect(output).to_contain_text('"note": "ship it"')
    event = AuditEvent.objects.get(action="hook.resume")
    assert (event.actor, event.target) == ("olga", run.public_id)
    page.close()


def test_a_viewer_gets_no_hook_form_and_the_server_refuses_an_answer(
    browser: Browser, live_server, org: Organization
) -> None:
    person(org, "victor", Role.VIEWER)
    run = make_run(org, "approval", status="waiting")
    Step.objects.create(
        run=run,
        position=0,
        step_id="step:approval#0",
        kind="hook",
        status="waiting",
        token="t" * 40,
    )
    page = browser.new_page()
    sign_in(page, live_server.url, "victor")
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    expect(page.locator(".run-header")).to_contain_text("waiting on hook approval")
    expect(page.locator("[data-hook=approval]")).to_have_count(0)
    expect(page.get_by_role("button", name="Resume")).to_have_count(0)
    url = f"/history/{run.public_id}/hooks/0/"
    assert post_status(page, url, {"approved": "true"}) == 403
    assert Step.objects.get(run=run).status == "waiting"
    page.close()


def test_the_steps_tab_refreshes_its_rows_in_place_and_keeps_an_open_one_open(
    browser: Browser, live_server, org: Organization
) -> None:
    person(org, "victor", Role.VIEWER)
    run = make_run(org, "three-steps", status="running", step_count=1)
    Step.objects.create(
        run=run, position=0, step_id="step:one#0", kind="action", status="running", input={"n": 1}
    )
    page = browser.new_page()
    sign_in(page, live_server.url, "victor")
    page.goto(f"{live_server.url}{run.get_absolute_url()}?tab=steps")
    first = page.locator("#step-0")
    first.locator("summary").click()
    expect(first.locator("details")).to_have_attribute("open", "")
    page.evaluate("document.querySelector('#step-0').dataset.marked = 'yes'")

    Step.objects.create(run=run, position=1, step_id="step:two#0", kind="action", status="running")
    Run.objects.filter(pk=run.pk).update(step_count=2)
    expect(page.locator("#step-1")).to_contain_text("step:two#0", timeout=10_000)
    expect(page.locator("#step-count")).to_contain_text("of 2")
    # Step 0 did not change: its row, open, is the very element the page had.
    expect(page.locator("#step-0[data-marked=yes] details[open]")).to_have_count(1)

    Step.objects.filter(run=run, position=0).update(status="success", output={"n": 2})
    expect(page.locator("#step-0")).to_have_attribute("data-step-state", "success.0")
    Run.objects.filter(pk=run.pk).update(status="success", output={"labels": ["done"]})
    expect(page.locator(".run-header .status")).to_have_text("Success", timeout=10_000)
    expect(page.locator("[data-live]")).to_have_count(0)
    page.close()


def test_an_organization_admin_cancels_in_the_admin_and_sees_no_other_organization(
    browser: Browser, live_server, org: Organization
) -> None:
    admin = User.objects.create_user("ada", password=PASSWORD, is_staff=True)
    Membership.objects.create(user=admin, organization=org, role=Role.ADMIN)
    ours = [make_run(org, "approval", status="waiting") for _ in range(2)]
    acme = Organization.objects.create(slug="acme", name="Acme")
    theirs = make_run(acme, "acme-only-workflow", status="waiting")
    page = browser.new_page()
    sign_in(page, live_server.url, "ada")
    page.goto(f"{live_server.url}/admin/history/run/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("#result_list")).not_to_contain_text("acme-only-workflow")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("cancel_selected")
    page.get_by_role("button", name="Go").click()
    expect(page.locator(".messagelist")).to_contain_text("2")
    assert {r.status for r in Run.objects.filter(pk__in=[r.pk for r in ours])} == {"canceled"}
    theirs.refresh_from_db()
    assert theirs.status == "waiting"
    assert AuditEvent.objects.filter(action="run.cancel", actor="admin:ada").count() == 2
    # Another organization's run is not found, even by its address.
    page.goto(f"{live_server.url}/admin/history/run/{theirs.pk}/change/")
    expect(page.locator("body")).not_to_contain_text("acme-only-workflow")
    page.close()


def test_a_viewer_gets_no_admin_link_and_the_admin_does_not_let_them_in(
    browser: Browser, live_server, org: Organization
) -> None:
    person(org, "victor", Role.VIEWER)
    run = make_run(org, "approval", status="waiting")
    page = browser.new_page()
    sign_in(page, live_server.url, "victor")
    expect(page.locator(".sidebar")).not_to_contain_text("Admin")
    page.goto(f"{live_server.url}/admin/history/run/")
    expect(page.locator("#result_list")).to_have_count(0)
    expect(page.locator("body")).to_contain_text("not authorized to access this page")
    run.refresh_from_db()
    assert run.status == "waiting"
    page.close()
