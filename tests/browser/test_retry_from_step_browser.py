"""Retry from here, in a real browser with a real worker: an operator retries a failed run from
its second step with new input and sees the first step copied and the output changed; a viewer
sees no such link, and the server refuses the form to them."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect
from rest_framework.test import APIClient

from history.models import Organization, Run

from ..conftest import Stack
from ..support import wait_for
from ..workflows.test_worker import start, status_becomes
from .test_history_browser import person, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def failed_checkout(
    live_server: Any, stack: Stack, api: APIClient, org: Organization, tmp_path: Path
) -> Run:
    person(org, "olga", "operator")
    person(org, "vera", "viewer")
    stack.worker()
    order = {"marker": str(tmp_path / "effects"), "flag": str(tmp_path / "paid")}
    return status_becomes(start(api, "checkout", order), "failed")


def retry_form(page: Page, base: str, run: Run) -> None:
    page.goto(f"{base}{run.get_absolute_url()}?tab=steps")
    row = page.locator("li.step").filter(has_text="step:effect#1")
    row.get_by_role("link", name="Retry from here").click()
    expect(page.get_by_role("heading", name="Retry from step:effect#1")).to_be_visible()


def test_an_operator_retries_a_failed_run_from_its_second_step_with_new_input(
    browser: Browser, live_server: Any, failed_checkout: Run, tmp_path: Path
) -> None:
    page = browser.new_page()
    sign_in(page, live_server.url, "olga")
    retry_form(page, live_server.url, failed_checkout)
    field = page.get_by_label("Input")
    assert json.loads(field.input_value()) == failed_checkout.input, "prefilled with the input"

    field.fill('{"marker": ')
    page.get_by_role("button", name="Retry from step:effect#1").click()
    expect(page.locator("[data-errors]")).to_contain_text("input: The input is not valid JSON")
    changed = {**failed_checkout.input, "quantity": 0}
    page.get_by_label("Input").fill(json.dumps(changed))
    page.get_by_role("button", name="Retry from step:effect#1").click()
    expect(page.locator("[data-errors]")).to_contain_text("quantity")
    assert Run.objects.count() == 1, "nothing started from refused input"

    (tmp_path / "paid").touch()
    page.get_by_label("Input").fill(json.dumps({**changed, "quantity": 3}))
    page.get_by_role("button", name="Retry from step:effect#1").click()
    new = wait_for(lambda: Run.objects.filter(rerun_of=failed_checkout).first(), 10, what="run")
    expect(page).to_have_url(f"{live_server.url}{new.get_absolute_url()}?tab=steps")
    copied = page.locator("li.step").filter(has_text="step:effect#0")
    expect(copied.locator(".copied")).to_have_text("copied")
    status_becomes(new, "success", "failed")
    assert new.status == "success", new.error

    page.goto(f"{live_server.url}{new.get_absolute_url()}?tab=overview")
    expect(page.locator(".run-header")).to_contain_text("Retry · from step:effect#1")
    expect(page.locator("[data-payload]").filter(has_text="Output").first).to_contain_text(
        "charge x3"
    )
    page.goto(f"{live_server.url}{new.get_absolute_url()}?tab=steps")
    expect(
        page.locator("li.step").filter(has_text="step:effect#1").locator(".copied")
    ).to_have_count(0)
    page.goto(f"{live_server.url}{new.get_absolute_url()}?tab=metadata")
    expect(page.locator("[data-retried-from]")).to_contain_text(
        f"step:effect#1 of {failed_checkout.public_id}, with new input; 1 step copied"
    )
    page.close()


def test_a_viewer_sees_no_retry_from_here_and_the_server_refuses_it(
    browser: Browser, live_server: Any, failed_checkout: Run
) -> None:
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_server.url, "vera")
    page.goto(f"{live_server.url}{failed_checkout.get_absolute_url()}?tab=steps")
    expect(page.locator("li.step")).to_have_count(2)
    expect(page.get_by_role("link", name="Retry from here")).to_have_count(0)

    form_url = f"{live_server.url}{failed_checkout.get_absolute_url()}retry-from/1/"
    assert page.goto(form_url).status == 403
    csrf = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    posted = page.request.post(
        form_url,
        form={"input": json.dumps(failed_checkout.input)},
        headers={"X-CSRFToken": csrf, "Referer": form_url},
    )
    assert (
        posted.status == 403
        and "Your role" in posted.text()
        and "CSRF verification" not in posted.text()
    )
    assert Run.objects.count() == 1
    context.close()
