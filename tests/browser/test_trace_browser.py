"""The Trace tab in a real browser: a run's timeline with its waits, the child run expanded in
place, and the logs filtered by level to show the framework's INFO records."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, expect

from history.models import Organization
from history.models.accounts import Role

from ..history.trace_runs import investigated_run
from .people import person, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_viewer_expands_the_child_run_and_filters_logs_by_level(
    browser: Browser, live_server
) -> None:
    org = Organization.objects.default()
    person(org, "victor", Role.VIEWER)
    run = investigated_run(org)
    child = run.steps.get(kind="workflow").child_run
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, "victor")
    page.goto(f"{live_server.url}/history/{run.public_id}/?tab=trace")

    timeline = page.locator("#timeline")
    expect(timeline.locator("li[data-kind=backoff]")).to_contain_text("wakes")
    expect(timeline.locator("li[data-kind=hook]")).to_contain_text("times out")
    expect(timeline.locator("li[data-kind=sleep]")).to_have_count(1)
    expect(timeline).not_to_contain_text("step step:")

    page.get_by_text("Child run").click()
    nested = timeline.locator("details.child-trace li.span")
    expect(nested).to_have_count(2)
    expect(nested.first).to_contain_text("greeting")
    expect(page.get_by_role("link", name=child.public_id)).to_have_attribute(
        "href", f"/history/{child.public_id}/?tab=trace"
    )

    logs = page.locator("#log-list")
    expect(logs).to_contain_text("No hostname was supplied")
    expect(logs).not_to_contain_text("connected to broker")
    page.get_by_label("Level").select_option("info")
    page.get_by_role("button", name="Filter").click()
    expect(logs).to_contain_text("connected to broker")
    expect(logs).to_contain_text("HTTP Request: GET https://crm.example")


def test_raw_spans_open_as_json_and_yaml_and_failed_attempts_are_red(
    browser: Browser, live_server
) -> None:
    org = Organization.objects.default()
    person(org, "olga", Role.OPERATOR)
    run = investigated_run(org)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, "olga")
    page.goto(f"{live_server.url}/history/{run.public_id}/?tab=trace")

    failed = page.locator("#timeline li[data-kind=action].span-status-error rect").first
    fill = failed.evaluate("rect => getComputedStyle(rect).fill")
    ok = page.locator("#timeline li[data-kind=action]:not(.span-status-error) rect").first
    assert fill != ok.evaluate("rect => getComputedStyle(rect).fill")

    page.get_by_text("Raw spans (JSON or YAML, to copy)").click()
    raw = page.locator("details.raw-spans [data-payload]")
    expect(raw.locator("code[data-format=json]")).to_contain_text('"span_id"')
    raw.get_by_role("button", name="YAML").click()
    expect(raw.locator("code[data-format=yaml]")).to_be_visible()
    expect(raw.locator("code[data-format=yaml]")).to_contain_text("span_id:")
    expect(raw.get_by_role("button", name="Copy")).to_be_visible()
