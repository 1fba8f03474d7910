"""Counts per status and Failures in a real browser: the counts load above the list and a count
narrows it; a group of Failures opens the list of its runs."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, expect

from history.fingerprints import fingerprint_of
from history.models import Organization
from history.models.accounts import Role

from ..factories import make_run
from .people import person, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = pytest.mark.django_db(transaction=True)


def fail(org: Organization, message: str, error_type: str = "Timeout") -> str:
    error = {"type": error_type, "message": message}
    run = make_run(
        org, "signup", status="failed", error=error, error_fingerprint=fingerprint_of(error)
    )
    return run.public_id


def test_the_counts_narrow_the_list_and_a_failure_group_opens_its_runs(
    browser: Browser, live_server
) -> None:
    org = Organization.objects.default()
    person(org, "victor", Role.VIEWER)
    timeouts = [fail(org, f"CRM timed out after {n}s") for n in (30, 31)]
    other = fail(org, "mail server down", "SMTPError")
    done = make_run(org, "signup", status="success").public_id
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, "victor")

    counts = page.get_by_role("list", name="Runs per status")
    expect(counts).to_contain_text("Success 1")
    expect(counts).to_contain_text("Failed 3")
    expect(page.locator(f"tr[data-run-url*='{done}']")).to_have_count(1)
    counts.get_by_role("link", name="Failed 3").click()
    expect(page).to_have_url(f"{live_server.url}/history/?status=failed")
    expect(page.locator("[data-runs] tbody tr[data-run-url]")).to_have_count(3)
    expect(page.get_by_role("list", name="Runs per status")).not_to_contain_text("Success")

    page.get_by_role("link", name="Failures", exact=True).click()
    expect(page.get_by_role("heading", name="Failures")).to_be_visible()
    group = page.locator("[data-failures] tbody tr").first
    expect(group).to_contain_text("CRM timed out after <n>s")
    group.get_by_role("link", name="2 runs").click()
    rows = page.locator("[data-runs] tbody tr[data-run-url]")
    expect(rows).to_have_count(2)
    for run_id in timeouts:
        expect(page.locator(f"tr[data-run-url*='{run_id}']")).to_have_count(1)
    expect(page.locator(f"tr[data-run-url*='{other}']")).to_have_count(0)
    page.close()
