"""History in a real browser: Debian's headless Chromium driven by Playwright.

Screenshots of the list and of each tab are taken on every run; they replace the ones in
docs/screenshots/ only with KEYSTROKE_UPDATE_SCREENSHOTS=1, so a test run leaves the checkout as it
was.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, expect

from history.models import LogRecord, Organization, Run, Span, Step

from .people import person, sign_in

# Playwright's sync API runs an event loop in this thread; the ORM calls here are still plain sync
# code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("KEYSTROKE_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="keystroke-screenshots-"))
)
pytestmark = pytest.mark.django_db(transaction=True)


def seed(org: Organization) -> dict[str, Run]:
    project, now = org.default_project(), timezone.now()
    failed = Run.objects.create(
        organization=org,
        project=project,
        slug="signup-pipeline",
        status="failed",
        trigger_label="API",
        actor="alice",
        input={"name": "Ada", "email": "ada@acme.io"},
        started_at=now,
        finished_at=now,
        duration_ms=1234,
        step_count=2,
        error={
            "type": "RetriesExhausted",
            "message": "step:lookup-company#0 failed after 3 attempts: CRM timed out",
            "step_id": "step:lookup-company#0",
            "traceback": "Traceback (most recent call last):\n  ...\nTimeoutError",
        },
    )
    Step.objects.create(
        run=failed,
        position=0,
        step_id="step:lookup-company#0",
        kind="action",
        status="failed",
        input={"email": "ada@acme.io"},
        attempts=[
            {"attempt": n, "error": {"type": "TimeoutError", "message": "CRM timed out"}}
            for n in (1, 2, 3)
        ],
        error={"type": "RetriesExhausted", "message": "CRM timed out"},
        started_at=now,
        finished_at=now,
    )
    root = Span.objects.create(
        run=failed,
        trace_id="a" * 32,
        span_id="1" * 16,
        name="workflow signup-pipeline",
        started_at=now,
        ended_at=now + timezone.timedelta(seconds=1),
    )
    Span.objects.create(
        run=failed,
        trace_id="a" * 32,
        span_id="2" * 16,
        parent_span_id=root.span_id,
        name="step lookup-company",
        started_at=now,
        ended_at=now + timezone.timedelta(milliseconds=600),
    )
    LogRecord.objects.create(
        run=failed,
        span_id="2" * 16,
        created_at=now,
        level="WARNING",
        logger="crm",
        message="retrying",
    )
    sleeping = Run.objects.create(
        organization=org,
        project=project,
        slug="weekly-sales-summary",
        status="sleeping",
        trigger_label="Schedule · weekly",
        started_at=now,
        wake_at=now + timezone.timedelta(hours=1),
        input={"week": "2026-W47"},
    )
    done = Run.objects.create(
        organization=org,
        project=project,
        slug="greeting",
        status="success",
        trigger_label="CLI",
        input={"name": "Grace"},
        output={"message": "Hello, Grace!"},
        started_at=now,
        finished_at=now,
        duration_ms=12,
    )
    return {"failed": failed, "sleeping": sleeping, "done": done}


@pytest.fixture
def runs(live_server) -> dict[str, Run]:
    org = Organization.objects.default()
    person(org, "alice", "operator")
    person(org, "victor", "viewer")
    return seed(org)


def test_an_operator_finds_a_failed_run_copies_its_input_and_cancels_a_sleeping_one(
    browser: Browser, live_server, runs: dict[str, Run]
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    sign_in(page, live_server.url, "alice")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "history-list.png")

    page.get_by_role("checkbox", name="Failed").check()  # filters submit themselves
    expect(page).to_have_url(f"{live_server.url}/history/?status=failed", ignore_case=True)
    table = page.locator("[data-runs] tbody")
    expect(table.locator("tr")).to_have_count(1)
    expect(table).to_contain_text("signup-pipeline")

    table.get_by_role("link", name="signup-pipeline").click()
    panel = page.locator("#panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text("RetriesExhausted")
    expect(panel).to_contain_text("step:lookup-company#0")
    page.screenshot(path=SCREENSHOTS / "history-overview.png")

    box = panel.locator("[data-payload]").filter(has_text="Input").first
    box.get_by_role("button", name="YAML").click()
    shown = box.locator("pre:not([hidden]) code")
    expect(shown).to_contain_text("email: ada@acme.io")
    box.get_by_role("button", name="Copy").click()
    expect(box.get_by_role("button", name="Copied")).to_be_visible()
    assert (
        page.evaluate("navigator.clipboard.readText()")
        == shown.text_content()
        == "name: Ada\nemail: ada@acme.io\n"
    )

    for tab, expected in (
        ("Steps", "3 attempts"),
        ("Metadata", runs["failed"].public_id),
        ("Trace", "lookup-company"),
    ):
        panel.get_by_role("link", name=tab, exact=True).click()
        expect(panel.locator(".tabs [aria-current=page]")).to_have_text(tab)
        expect(panel).to_contain_text(expected)
        page.screenshot(path=SCREENSHOTS / f"history-{tab.lower()}.png")

    page.goto(f"{live_server.url}/history/?status=sleeping")
    page.wait_for_load_state("load")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    expect(panel).to_contain_text("weekly-sales-summary")
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()

    page.goto(f"{live_server.url}{runs['sleeping'].get_absolute_url()}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator(".run-header .status")).to_have_text("Canceled")
    runs["sleeping"].refresh_from_db()
    assert runs["sleeping"].status == "canceled"
    context.close()


def test_a_viewer_gets_no_cancel_button(
    browser: Browser, live_server, runs: dict[str, Run]
) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})  # a phone
    sign_in(page, live_server.url, "victor")
    page.goto(f"{live_server.url}{runs['sleeping'].get_absolute_url()}")
    expect(page.locator(".run-header")).to_contain_text("weekly-sales-summary")
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "history-phone-viewer.png")
    page.close()


def test_times_show_in_the_browsers_time_zone_with_utc_on_hover(
    browser: Browser, live_server, runs: dict[str, Run]
) -> None:
    context = browser.new_context(timezone_id="Asia/Tokyo", locale="en-US")
    page = context.new_page()
    sign_in(page, live_server.url, "victor")
    run = runs["done"]
    page.goto(f"{live_server.url}{run.get_absolute_url()}?tab=metadata")
    created = page.locator(".metadata time[data-precision]").first
    expect(created).to_have_attribute("data-local", "1")
    expect(created).to_have_attribute(
        "title", run.created_at.astimezone(UTC).isoformat("T", "seconds")
    )
    assert "GMT+9" in created.inner_text()  # Tokyo, with seconds
    # After an htmx swap (another tab, then back) the new times are shown locally too.
    page.get_by_role("link", name="Overview").click()
    page.get_by_role("link", name="Metadata").click()
    expect(page.locator(".metadata time[data-precision]").first).to_have_attribute(
        "data-local", "1"
    )
    context.close()
