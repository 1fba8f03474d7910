"""Filters a form does not show are kept by its Apply: the run list's fingerprint (from Failures)
as a hidden input and a removable chip, and every list filter the Failures form has no field
for."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest

from history.models import Organization

from ..factories import make_run, member

pytestmark = pytest.mark.django_db

FP = "a1b2c3d4e5f60718"


def form_of(html: str, action: str) -> str:
    start = f'<form class="filters" method="get" action="{action}"'
    found = re.search(rf"{re.escape(start)}.*?</form>", html, re.S)
    assert found, f"the filter form of {action}"
    return found.group(0)


def hidden(form: str) -> list[tuple[str, str]]:
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form)


def test_the_run_list_keeps_the_fingerprint_and_shows_it_as_a_removable_chip(
    org: Organization,
) -> None:
    make_run(org, status="failed", error_fingerprint=FP, error={"type": "E", "message": "m"})
    html = member(org).get(f"/history/?status=failed&fingerprint={FP}&slug=greeting").content
    page = html.decode()
    assert ("fingerprint", FP) in hidden(form_of(page, "/history/")), "Apply keeps it"
    chip = re.search(r'<a [^>]*data-filter-chip="fingerprint"[^>]*>.*?</a>', page, re.S)
    assert chip, "a visible chip"
    assert 'href="/history/?status=failed&amp;slug=greeting"' in chip.group(0)
    assert "One kind of failure" in chip.group(0) and "×" in chip.group(0)
    plain = member(org).get("/history/?status=failed").content.decode()
    assert "data-filter-chip" not in plain and hidden(form_of(plain, "/history/")) == []


def test_the_run_list_keeps_the_version_from_a_runs_metadata_as_a_removable_chip(
    org: Organization,
) -> None:
    old = make_run(org, status="sleeping", version="release-41")
    make_run(org, status="sleeping", version="release-42")
    page = member(org).get("/history/?version=release-41&status=sleeping").content.decode()
    assert ("version", "release-41") in hidden(form_of(page, "/history/")), "Apply keeps it"
    chip = re.search(r'<a [^>]*data-filter-chip="version"[^>]*>.*?</a>', page, re.S)
    assert chip and "release-41" in chip.group(0)
    assert 'href="/history/?status=sleeping"' in chip.group(0)
    assert page.count("<tr data-run-url=") == 1 and f"/history/{old.public_id}/" in page


def test_the_failures_form_carries_every_filter_it_does_not_show(org: Organization) -> None:
    carried = [
        ("kind", "workflow"),
        ("where", "input.email=ada@acme.io"),
        ("where", "input.seats>=10"),
        ("trigger", "webhook"),
        ("trigger_id", "signup"),
        ("actor", "ada"),
        ("model", "openai:gpt"),
        ("min_cost", "1"),
        ("created_after", "2026-11-01T00:00"),
        ("created_before", "2026-12-01T00:00"),
        ("workflow", "signup"),
        ("fingerprint", FP),
        ("version", "release-41"),
    ]
    shown = [("slug", "signup"), ("project", "default"), ("range", "30d"), ("q", "crm")]
    dropped = [("status", "success"), ("page", "1"), ("before", "x"), ("partial", "rows")]
    query = urlencode(carried + shown + dropped)
    response = member(org).get(f"/history/failures/?{query}")
    assert response.status_code == 200, response.content.decode()[-2000:]
    form = form_of(response.content.decode(), "/history/failures/")
    assert sorted(hidden(form)) == sorted((k, v.replace(">", "&gt;")) for k, v in carried), (
        "hidden inputs for the list filters it has no field for, and only those"
    )
