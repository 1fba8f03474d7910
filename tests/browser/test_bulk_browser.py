"""Bulk cancel in a real browser (Playwright driving Debian's Chromium) with a worker behind the
live server: an operator selects every run matching a filter, previews, gives a reason and
watches the job finish; a viewer gets no bulk button, and the server refuses them.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, Page, expect

from history.access import Actor
from history.models import BulkJob, Organization, Run
from history.models.accounts import Role
from workflows.bulk import start_bulk

from ..conftest import Stack
from ..factories import make_run
from .test_history_browser import SCREENSHOTS, person, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def org(live_server) -> Organization:
    org = Organization.objects.default()
    person(org, "alice", Role.OPERATOR)
    person(org, "victor", Role.VIEWER)
    return org


def test_an_operator_cancels_every_waiting_run_of_a_workflow_with_a_reason(
    browser: Browser, live_server, org: Organization, stack: Stack
) -> None:
    waiting = [make_run(org, "batch-import", status="waiting") for _ in range(3)]
    failed = make_run(org, "batch-import", status="failed")
    other = make_run(org, "nightly", status="waiting")
    stack.worker()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, live_server.url, "alice")

    page.get_by_role("checkbox", name="Waiting on hook").check()  # the filters submit themselves
    expect(page).to_have_url(f"{live_server.url}/history/?status=waiting")
    page.get_by_label("Workflow or agent").fill("batch-import")
    page.get_by_label("Workflow or agent").press("Enter")
    expect(page).to_have_url(f"{live_server.url}/history/?status=waiting&slug=batch-import")
    expect(page.locator("[data-runs] tbody tr")).to_have_count(3)

    bar = page.locator("[data-bulk]")
    expect(bar.get_by_role("button", name="Cancel…")).to_be_disabled()
    page.get_by_role("checkbox", name="Select every run on this page").check()
    expect(bar).to_contain_text("3 selected")
    everything = bar.get_by_role("checkbox", name="runs matching this filter")
    expect(bar.locator("[data-matching-count]")).to_have_text("3")
    everything.check()
    expect(bar).to_contain_text("All runs matching this filter selected")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "history-bulk-select.png")
    bar.get_by_role("button", name="Cancel…").click()

    expect(page.get_by_role("heading", name="Cancel 3 runs?")).to_be_visible()
    expect(page.locator("[data-bulk-preview]")).to_contain_text(
        "3 of the 3 runs matching status: waiting · slug: batch-import"
    )
    page.get_by_role("button", name="Cancel 3 runs").click()  # no reason yet
    reason = page.get_by_label("Reason")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#bulk-reason-error")).to_contain_text("Say why")
    page.screenshot(path=SCREENSHOTS / "history-bulk-preview.png")
    assert not BulkJob.objects.exists()

    reason.fill("bad deploy 4121 left these waiting")
    page.get_by_role("button", name="Cancel 3 runs").click()
    expect(page.locator("[data-bulk-status]")).to_have_text("Finished", timeout=30_000)
    expect(page.locator("[data-bulk-numbers]")).to_have_text("3 of 3 · 3 canceled · 0 skipped")
    audit = page.locator("[data-audit] tbody tr")
    expect(audit).to_have_count(1)
    expect(audit).to_contain_text("alice")
    expect(audit).to_contain_text("runs.bulk_cancel")
    expect(audit).to_contain_text("bad deploy 4121 left these waiting")
    expect(page.get_by_role("button", name="Stop")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "history-bulk-job.png")

    assert {Run.objects.get(pk=r.pk).status for r in waiting} == {"canceled"}
    assert Run.objects.get(pk=failed.pk).status == "failed"
    assert Run.objects.get(pk=other.pk).status == "waiting"
    page.get_by_role("link", name="← Bulk actions").click()
    expect(page.locator("[data-bulk-jobs] tbody")).to_contain_text("bad deploy 4121")
    page.close()


def csrf(page: Page) -> str:
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


def test_a_viewer_sees_no_selection_and_the_server_refuses_their_bulk_actions(
    browser: Browser, live_server, org: Organization
) -> None:
    make_run(org, "batch-import", status="waiting")
    job = start_bulk(Actor(org, Role.OPERATOR, "alice"), "cancel", {}, "cleanup")
    page = browser.new_page()
    sign_in(page, live_server.url, "victor")
    page.goto(f"{live_server.url}/history/?status=waiting")
    expect(page.locator("[data-runs] tbody tr")).to_have_count(1)
    # Rows can be ticked to compare two runs, but nothing acts on them in bulk.
    expect(page.locator("[data-select-page], [data-select-all], [data-bulk-action]")).to_have_count(
        0
    )
    expect(page.get_by_role("button", name="Cancel…")).to_have_count(0)
    expect(page.get_by_role("button", name="Retry…")).to_have_count(0)

    page.goto(f"{live_server.url}{job.get_absolute_url()}")
    expect(page.locator("[data-bulk-status]")).to_have_text("Queued")
    expect(page.get_by_role("button", name="Stop")).to_have_count(0)

    headers = {"X-CSRFToken": csrf(page), "Referer": live_server.url}
    started = page.request.post(
        f"{live_server.url}/history/bulk/new/",
        form={"action": "cancel", "filter": "{}", "reason": "mine"},
        headers=headers,
    )
    stopped = page.request.post(
        f"{live_server.url}/history/bulk/{job.public_id}/stop/", headers=headers
    )
    assert (started.status, stopped.status) == (403, 403)
    assert BulkJob.objects.get().status == "queued" and BulkJob.objects.count() == 1
    page.close()

    # The same request from an operator starts a job: the refusal was the viewer's role.
    operator = browser.new_page()
    sign_in(operator, live_server.url, "alice")
    headers = {"X-CSRFToken": csrf(operator), "Referer": live_server.url}
    form = {"action": "cancel", "filter": "{}", "reason": "theirs"}
    url = f"{live_server.url}/history/bulk/new/"
    assert operator.request.post(url, form=form, headers=headers, max_redirects=0).status == 302
    assert BulkJob.objects.count() == 2

    operator.goto(f"{live_server.url}{job.get_absolute_url()}")
    operator.once("dialog", lambda dialog: dialog.accept())
    operator.get_by_role("button", name="Stop").click()
    expect(operator.locator("[data-bulk-status]")).to_have_text("Stopped")
    expect(operator.locator("[data-audit]")).to_contain_text("runs.bulk_stop")
    job.refresh_from_db()
    assert (job.status, job.stopped_by) == ("stopped", "alice")
    operator.close()
