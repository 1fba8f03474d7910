"""Searching inside payloads in a real browser: a clause typed in the Payload field finds the
run, a bad one is explained at the field, and the run found opens.
"""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import Browser, expect

from history.models import Organization
from history.models.accounts import Role

from ..factories import make_run
from .people import person, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = pytest.mark.django_db(transaction=True)


def test_a_payload_clause_finds_the_run_and_it_opens(browser: Browser, live_server) -> None:
    org = Organization.objects.default()
    person(org, "victor", Role.VIEWER)
    ada = make_run(org, "signup", status="success", input={"email": "ada@acme.io"})
    make_run(org, "onboarding", status="success", input={"email": "bob@acme.io"})
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    sign_in(page, live_server.url, "victor")
    table = page.locator("[data-runs]")
    expect(table.get_by_role("link", name="onboarding")).to_be_visible()

    payload = page.get_by_label("Payload")
    expect(payload).to_have_attribute(
        "placeholder", "input.email=ada@acme.io\noutput.score>=80\nerror.type~Timeout"
    )
    payload.fill("input.email")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#where-error")).to_contain_text("it has no operator")
    expect(payload).to_have_attribute("aria-invalid", "true")

    payload.fill("input.email=ada@acme.io")
    page.get_by_role("button", name="Apply").click()
    expect(table.get_by_role("link", name="onboarding")).to_have_count(0)
    expect(payload).to_have_value("input.email=ada@acme.io")
    table.get_by_role("link", name="signup").click()
    panel = page.locator("#panel")
    expect(panel).to_be_visible()
    expect(panel).to_contain_text(ada.public_id)
    expect(panel).to_contain_text("ada@acme.io")
