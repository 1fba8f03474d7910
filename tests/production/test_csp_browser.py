"""The Content-Security-Policy breaks nothing: History, the admin and the API docs in a real
browser.

Violations are caught both from the console and from ``securitypolicyviolation`` events.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect

from history.models import Membership, Organization, Run

from ..browser.test_history_browser import seed

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = pytest.mark.django_db(transaction=True)

WATCH_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile}:${e.lineNumber}`;
  window.cspViolations.push(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} at ${where}`
  );
});
"""


class Watched:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.console: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.console.append(f"page error: {error}"))

    def _console(self, message: Any) -> None:
        where = message.location.get("url", "")
        if where.endswith("/favicon.ico"):
            return  # the site has no icon; the browser asks anyway
        if (
            "Content Security Policy" in message.text
            or "Refused to" in message.text
            or message.type == "error"
        ):
            self.console.append(f"{message.text} ({where})")

    def assert_clean(self, where: str) -> None:
        events = self.page.evaluate("window.cspViolations || []")
        assert not events and not self.console, f"{where}: {events} {self.console}"


@pytest.fixture
def watched(browser: Browser, live_server: Any) -> Iterator[Watched]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    context.add_init_script(WATCH_VIOLATIONS)
    yield Watched(context.new_page())
    context.close()


@pytest.fixture
def runs(live_server: Any) -> dict[str, Run]:
    org = Organization.objects.default()
    user = User.objects.create_user(
        "alice", password="pw-12345678", is_staff=True, is_superuser=True
    )
    Membership.objects.create(user=user, organization=org, role="admin")
    return seed(org)


def sign_in(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/login/?next=/history/")
    page.get_by_label("Username").fill("alice")
    page.get_by_label("Password").fill("pw-12345678")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base}/history/")


def test_history_works_under_the_policy_without_a_single_violation(
    watched: Watched, live_server: Any, runs: dict[str, Run]
) -> None:
    page, base = watched.page, live_server.url
    sign_in(page, base)
    watched.assert_clean("sign-in and list")

    page.locator("[data-runs] tbody").get_by_role("link", name="signup-pipeline").click()
    panel = page.locator("#panel")
    expect(panel).to_contain_text("RetriesExhausted")
    box = panel.locator("[data-payload]").filter(has_text="Input").first
    expect(box.locator("code.hljs").first).to_be_visible()  # highlight.js ran
    box.get_by_role("button", name="YAML").click()
    expect(box.locator("pre:not([hidden]) code")).to_contain_text("email: ada@acme.io")
    box.get_by_role("button", name="Copy").click()
    expect(box.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == "name: Ada\nemail: ada@acme.io\n"
    for tab, expected in (
        ("Steps", "3 attempts"),
        ("Metadata", runs["failed"].public_id),
        ("Trace", "lookup-company"),
    ):
        panel.get_by_role("link", name=tab, exact=True).click()
        expect(panel.locator(".tabs [aria-current=page]")).to_have_text(tab)
        expect(panel).to_contain_text(expected)
    watched.assert_clean("the run panel and its tabs")

    for tab in ("overview", "steps", "metadata", "trace"):
        page.goto(f"{base}{runs['failed'].get_absolute_url()}?tab={tab}")
        expect(page.locator(".tabs [aria-current=page]")).to_have_text(tab.capitalize())
    watched.assert_clean("the run detail pages")


def test_live_updates_still_arrive(
    watched: Watched, live_server: Any, runs: dict[str, Run]
) -> None:
    page, base = watched.page, live_server.url
    sign_in(page, base)
    sleeping = runs["sleeping"]
    page.goto(f"{base}{sleeping.get_absolute_url()}")
    expect(page.locator(".run-header .status")).to_have_text("Sleeping")
    Run.objects.filter(pk=sleeping.pk).update(status="success", output={"done": True})
    expect(page.locator(".run-header .status")).to_have_text("Success", timeout=10_000)
    watched.assert_clean("the polling run page")


def test_the_admin_and_the_api_docs_work_under_the_policy(
    watched: Watched, live_server: Any, runs: dict[str, Run]
) -> None:
    page, base = watched.page, live_server.url
    sign_in(page, base)
    page.goto(f"{base}/admin/")
    expect(page.get_by_role("link", name="Runs")).to_be_visible()
    page.goto(f"{base}/admin/history/run/")
    expect(page.locator("#result_list")).to_contain_text("signup-pipeline")
    page.goto(f"{base}/admin/history/run/{runs['failed'].pk}/change/")
    expect(page.locator("#content")).to_contain_text("signup-pipeline")
    watched.assert_clean("the admin")

    page.goto(f"{base}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text(
        "Keystroke API", timeout=15_000
    )
    page.get_by_text("/api/runs").first.click()
    expect(page.get_by_role("button", name="Try it out").first).to_be_visible()
    watched.assert_clean("the API docs")


def test_bulk_selection_preview_and_job_page_work_under_the_policy(
    watched: Watched, live_server: Any, runs: dict[str, Run]
) -> None:
    page, base = watched.page, live_server.url
    sign_in(page, base)
    page.goto(f"{base}/history/?status=sleeping")
    page.get_by_role("checkbox", name="Select every run on this page").check()
    bar = page.locator("[data-bulk]")
    expect(bar.locator("[data-matching-count]")).to_have_text("1")  # htmx fetched the count
    bar.get_by_role("checkbox", name="runs matching this filter").check()
    bar.get_by_role("button", name="Cancel…").click()
    page.get_by_label("Reason").fill("policy check")
    page.get_by_role("button", name="Cancel 1 run").click()
    expect(page.locator("[data-bulk-status]")).to_have_text("Queued")  # no worker here
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Stop").click()
    expect(page.locator("[data-bulk-status]")).to_have_text("Stopped")
    watched.assert_clean("the bulk selection, preview and job pages")
