"""Comparing two runs in a real browser: a viewer ticks two rows of the list, presses Compare and
reads the input diff and the first divergence; a run's page compares it with a run id typed in.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, expect

from history.models import Organization
from history.models.accounts import Role

from ..factories import add_steps, make_run
from .people import person, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_viewer_compares_two_ticked_runs_and_sees_where_they_diverge(
    browser: Browser, live_server
) -> None:
    org = Organization.objects.default()
    person(org, "victor", Role.VIEWER)
    worked = make_run(org, "signup", status="success", input={"email": "ada@acme.io"})
    failed = make_run(org, "signup", status="failed", input={"email": "<b>bob</b>@acme.io"})
    make_run(org, "nightly", status="success")
    add_steps(worked, ("lookup", "success", 1), ("mail", "success", "sent"))
    add_steps(failed, ("lookup", "success", 1), ("mail", "failed", "mail server down"))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, "victor")

    compare = page.get_by_role("button", name="Compare", exact=True)
    expect(compare).to_be_disabled()
    page.get_by_role("checkbox", name=f"Select run {worked.public_id}").check()
    expect(compare).to_be_disabled()
    page.get_by_role("checkbox", name=f"Select run {failed.public_id}").check()
    expect(page.locator("[data-selected-count]")).to_have_text("2 selected")
    expect(compare).to_be_enabled()
    expect(page.get_by_role("button", name="Cancel…")).to_have_count(0)
    compare.click()

    # Rows are newest first: the failed run is A.
    expect(page).to_have_url(
        f"{live_server.url}/history/compare/{failed.public_id}/{worked.public_id}/"
    )
    expect(page.get_by_role("heading", name="Compare runs")).to_be_visible()
    changes = page.get_by_role("region", name="Input").locator("[data-changes]")
    expect(changes).to_contain_text("input.email")
    expect(changes).to_contain_text('"<b>bob</b>@acme.io"')  # shown as text, not markup
    expect(page.locator("[data-divergence]")).to_contain_text(
        "First divergence: step:mail#0 — failed in A, success in B."
    )
    first = page.locator("[data-first-divergence]")
    expect(first).to_have_count(1)
    expect(first).to_contain_text("step:mail#0")
    expect(first).to_have_css("outline-style", "solid")  # highlighted, not only marked
    expect(page.locator("[data-aligned-steps] tbody tr")).to_have_count(2)

    side = page.get_by_role("region", name="Input")
    expect(side.locator("table.side-by-side[data-format=json]")).to_be_visible()
    side.get_by_role("button", name="YAML").click()
    expect(side.locator("table.side-by-side[data-format=yaml]")).to_contain_text(
        "email: <b>bob</b>@acme.io"
    )
    expect(side.locator("table.side-by-side[data-format=json]")).to_be_hidden()

    # From a run's own page, the other run's id typed in.
    page.goto(f"{live_server.url}{worked.get_absolute_url()}")
    page.get_by_label("Compare with run").fill(failed.public_id)
    page.get_by_label("Compare with run").press("Enter")
    expect(page).to_have_url(
        f"{live_server.url}/history/compare/{worked.public_id}/{failed.public_id}/"
    )
    expect(page.locator("[data-divergence]")).to_contain_text("success in A, failed in B")
    page.close()
