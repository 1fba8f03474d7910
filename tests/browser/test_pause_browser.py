"""Pausing a workflow in History, in Chromium, with a real worker: a new run waits, queued,
until an operator resumes the workflow; a viewer gets no buttons and the server refuses them.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from rest_framework.test import APIClient

from history.models import Organization, Run, WorkflowPause, parse_run_id

from ..conftest import Stack
from ..support import wait_for
from .test_history_browser import SCREENSHOTS, person, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_operator_pauses_a_workflow_and_its_new_run_waits_until_the_resume(
    browser: Browser, live_server: Any, stack: Stack, api: APIClient, org: Organization
) -> None:
    worker = stack.worker()
    person(org, "alice", "operator")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, live_server.url, "alice")
    page.get_by_role("link", name="Workflows").click()
    row = page.locator('[data-workflow="greeting"]')
    row.get_by_label("Why pause greeting").fill("CRM maintenance")
    row.get_by_role("button", name="Pause").click()
    expect(page.locator(".messages")).to_contain_text("Paused greeting")
    expect(row).to_contain_text("Paused by alice since")
    expect(row).to_contain_text("CRM maintenance")

    started = api.post("/api/workflows/greeting", {"name": "Ada"}, format="json").json()
    run = Run.objects.get(uid=parse_run_id(started["run_id"]))
    # the worker got the run's message and left the run in the queue
    wait_for(lambda: "or its workflow is paused" in worker.output(), what="the worker to hold it")
    page.goto(f"{live_server.url}/history/?slug=greeting")
    listed = page.locator(f'[data-run-url="{run.get_absolute_url()}"]')
    expect(listed).to_contain_text("Queued")
    expect(listed).to_contain_text("workflow paused by alice")
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    header = page.locator(".run-header")
    expect(header).to_contain_text("Queued")
    expect(header).to_contain_text("workflow paused by alice since")
    page.goto(f"{live_server.url}/history/workflows/")
    expect(row.locator("[data-queued]")).to_have_text("1")
    page.screenshot(path=SCREENSHOTS / "history-workflows.png")

    row.get_by_role("button", name="Resume").click()
    expect(page.locator(".messages")).to_contain_text("Resumed greeting")
    expect(row.locator('[data-state="active"]')).to_be_visible()
    page.goto(f"{live_server.url}{run.get_absolute_url()}")
    expect(header.locator(".status")).to_have_text("Success", timeout=30_000)  # it refreshes
    expect(page.locator("main")).to_contain_text("Hello, Ada!")
    page.close()


def test_a_viewer_sees_the_pause_but_no_buttons_and_the_server_refuses(
    browser: Browser, live_server: Any, org: Organization
) -> None:
    person(org, "victor", "viewer")
    WorkflowPause.objects.create(organization=org, slug="greeting", paused_by="alice")
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server.url, "victor")
    page.goto(f"{live_server.url}/history/workflows/")
    expect(page.locator('[data-workflow="greeting"]')).to_contain_text("Paused by alice")
    expect(page.get_by_role("button", name="Resume")).to_have_count(0)
    expect(page.get_by_role("button", name="Pause")).to_have_count(0)
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    refused = page.request.post(
        f"{live_server.url}/history/workflows/greeting/resume/",
        headers={"X-CSRFToken": csrf, "Referer": f"{live_server.url}/history/workflows/"},
    )
    # History's refusal, not the CSRF check's
    assert refused.status == 403 and "Your role in this organization" in refused.text()
    assert WorkflowPause.objects.filter(slug="greeting").exists()
    context.close()
