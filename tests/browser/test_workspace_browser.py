"""The Workspace tab in a real browser: pick the state after an earlier step, open a file as
highlighted text, and download one."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from history.models import Organization, Run, Step
from history.workspace_files import StorageBlobs

from ..factories import STEPS_START, make_run
from .people import person, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = pytest.mark.django_db(transaction=True)

SCRIPT = b"def total(xs):\n    return sum(xs)  # <b>not bold</b>\n"


def _state(run: Run, files: dict[str, bytes]) -> str:
    blobs = StorageBlobs(run.uid.hex)
    manifest: dict[str, Any] = {}
    for path, data in files.items():
        sha = hashlib.sha256(data).hexdigest()
        blobs.put(sha, io.BytesIO(data))
        manifest[path] = {"type": "file", "sha256": sha, "size": len(data), "x": False}
    return blobs.put_manifest(manifest)


@pytest.fixture
def run(org: Organization) -> Run:
    person(org, "victor", "viewer")
    run = make_run(org, slug="coder", status="success", has_workspace=True)
    states = [
        _state(run, {"notes.md": b"# plan\n"}),
        _state(run, {"notes.md": b"# plan\n", "total.py": SCRIPT}),
    ]
    for position, digest in enumerate(states):
        Step.objects.create(
            run=run,
            position=position,
            step_id=f"step:write-file#{position}",
            kind="action",
            status="success",
            output={},
            started_at=STEPS_START + timedelta(seconds=position),
            finished_at=STEPS_START + timedelta(seconds=position + 1),
            workspace=digest,
        )
    return run


def settled(page: Page, action: Callable[[], Any]) -> None:
    """Do ``action`` and wait until htmx has swapped in, and wired up, what it asked for."""
    page.evaluate(  # a function, so that evaluate does not wait for the promise it makes
        "() => { window.__settled = new Promise(done => {"
        " document.body.addEventListener('htmx:afterSettle', () => done(true), {once: true});"
        " setTimeout(() => done(false), 5000) }) }"
    )
    action()
    assert page.evaluate("window.__settled"), "htmx swapped nothing in"


def test_a_viewer_browses_views_and_downloads_workspace_files(
    browser: Browser, live_server: Any, run: Run
) -> None:
    page = browser.new_page()
    sign_in(page, live_server.url, "victor")
    page.goto(f"{live_server.url}/history/{run.public_id}/")
    settled(page, lambda: page.get_by_role("link", name="Workspace").click())
    files = page.locator("[data-workspace-file]")
    expect(files).to_have_count(2)

    picker = page.locator("[data-workspace-at]")
    settled(page, lambda: picker.select_option("0"))  # the files after the first step
    expect(files).to_have_count(1)
    expect(page.locator('[data-workspace-file="notes.md"]')).to_be_visible()

    settled(page, lambda: picker.select_option("1"))
    expect(files).to_have_count(2)
    view = page.locator('[data-workspace-file="total.py"]').get_by_role("link", name="View")
    settled(page, view.click)
    code = page.locator("[data-workspace-view] pre code")
    expect(code).to_have_attribute("data-highlighted", "yes")  # highlight.js took it
    expect(code.locator(".hljs-keyword").first).to_have_text("def")
    expect(code).to_contain_text("# <b>not bold</b>")  # shown as text, not markup
    assert page.locator("[data-workspace-view] b").count() == 0

    row = page.locator('[data-workspace-file="total.py"]')
    with page.expect_download() as download:
        row.get_by_role("link", name="Download").click()
    assert download.value.suggested_filename == "total.py"
    with open(download.value.path(), "rb") as saved:
        assert saved.read() == SCRIPT
