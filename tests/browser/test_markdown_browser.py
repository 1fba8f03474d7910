"""Copy as Markdown in a real browser: the header's button puts the run on the clipboard, for an
operator with the hook token its payload holds and for a viewer without it."""

from __future__ import annotations

import os
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from history.models import Organization, Run

from ..factories import make_hook, make_run
from .people import person, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "0123456789abcdef" * 2 + "a1b2c3d4"


@pytest.fixture
def run(org: Organization) -> Run:
    person(org, "olga", "operator")
    person(org, "victor", "viewer")
    waiting = make_run(
        org,
        "approval",
        status="waiting",
        actor="olga",
        input={"note": "a | pipe and ``` fence", "resume": f"/hooks/{TOKEN}"},
    )
    make_hook(waiting, TOKEN)
    return waiting


def copied_markdown(browser: Browser, base: str, name: str, run: Run) -> tuple[Page, str]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
    page = context.new_page()
    sign_in(page, base, name)
    page.goto(f"{base}/history/{run.public_id}/")
    header = page.locator("#run-header")
    header.get_by_role("button", name="Copy as Markdown").click()
    expect(header.get_by_role("button", name="Copied")).to_be_visible()
    return page, str(page.evaluate("navigator.clipboard.readText()"))


def test_an_operator_copies_the_run_as_markdown_token_included(
    browser: Browser, live_server: Any, run: Run
) -> None:
    page, markdown = copied_markdown(browser, live_server.url, "olga", run)
    assert markdown.startswith(f"# approval · {run.public_id}\n")
    assert f"([open in History]({live_server.url}/history/{run.public_id}/))" in markdown
    assert "| Status | Waiting on hook |" in markdown
    assert '"note": "a | pipe and ``` fence"' in markdown and "\n````json\n" in markdown
    assert f'"resume": "/hooks/{TOKEN}"' in markdown
    link = page.locator("#run-header").get_by_role("link", name="Download .md")
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == f"{run.public_id}.md"
    with open(download.value.path(), encoding="utf-8") as saved:
        assert saved.read() == markdown
    page.context.close()


def test_a_viewer_copies_it_too_with_the_token_hidden(
    browser: Browser, live_server: Any, run: Run
) -> None:
    page, markdown = copied_markdown(browser, live_server.url, "victor", run)
    assert markdown.startswith(f"# approval · {run.public_id}\n")
    assert '"resume": "/hooks/[hidden from viewers]"' in markdown
    assert TOKEN not in markdown.lower()
    page.context.close()
