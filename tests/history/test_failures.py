"""Failures: failed runs grouped by error type and message fingerprint, with counts, first and last
seen, and links to the runs; in History and at GET /api/runs/failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from history import failures
from history.fingerprints import fingerprint_of
from history.models import Organization, Run
from history.models.accounts import Role

from ..conftest import api_client
from ..factories import make_hook, make_run, member

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def fail(org: Organization, error_type: str, message: str, at: datetime, **fields: Any) -> Run:
    error = {"type": error_type, "message": message}
    return make_run(
        org,
        status="failed",
        error=error,
        error_fingerprint=fingerprint_of(error),
        created_at=at,
        finished_at=fields.pop("finished_at", at),
        **fields,
    )


@pytest.fixture
def failed(org: Organization) -> dict[str, list[Run]]:
    """Three CRM timeouts over two days, one HTTP error with the same text, one connection error."""
    return {
        "timeout": [
            fail(org, "Timeout", "CRM timed out after 30s", MONDAY),
            fail(org, "Timeout", "CRM timed out after 31s", MONDAY + timedelta(days=1)),
            fail(org, "Timeout", "CRM timed out after 5s", MONDAY + timedelta(hours=3)),
        ],
        "http": [fail(org, "HTTPError", "CRM timed out after 30s", MONDAY)],
        "refused": [fail(org, "ConnectionError", "refused by 10.0.0.7", MONDAY, slug="billing")],
    }


def test_it_groups_by_type_and_fingerprint_most_frequent_first(
    org: Organization, failed: dict[str, list[Run]]
) -> None:
    make_run(org, status="success")
    body = api_client(org).get("/api/runs/failures").json()
    groups = body["failures"]
    found = [(g["type"], g["count"]) for g in groups]
    assert found[0] == ("Timeout", 3), "same type, messages differing in a number: one group"
    assert sorted(found[1:]) == [("ConnectionError", 1), ("HTTPError", 1)], "types stay apart"
    timeout = groups[0]
    assert timeout["pattern"] == "CRM timed out after <n>s"
    assert timeout["message"] == "CRM timed out after 5s", "the message of its latest recorded run"
    assert timeout["example_run_id"] == failed["timeout"][2].public_id
    assert timeout["first_seen"].startswith("2026-11-30T09:00:00")
    assert timeout["last_seen"].startswith("2026-12-01T09:00:00")
    assert body["page"] == 1 and body["next_page"] is None


def test_a_groups_link_lists_exactly_its_runs_with_the_filters_kept(
    org: Organization, failed: dict[str, list[Run]]
) -> None:
    api = api_client(org)
    group = api.get("/api/runs/failures?range=30d&status=success").json()["failures"][0]
    assert "range=30d" in group["runs_url"] and "status=failed" in group["runs_url"]
    assert "status=success" not in group["runs_url"]
    listed = api.get(group["runs_url"]).json()["results"]
    assert {r["id"] for r in listed} == {r.public_id for r in failed["timeout"]}

    html = member(org).get("/history/failures/?slug=billing").content.decode()
    fingerprint = failed["refused"][0].error_fingerprint
    link = f"/history/?slug=billing&status=failed&fingerprint={fingerprint}"
    assert f'href="{link}"' in html and ">1 run<" in html
    page = member(org).get(link).content.decode()
    assert failed["refused"][0].public_id in page
    assert failed["timeout"][0].public_id not in page


def test_it_honours_the_lists_filters(org: Organization, failed: dict[str, list[Run]]) -> None:
    api = api_client(org)
    only_billing = api.get("/api/runs/failures?slug=billing").json()["failures"]
    assert [g["type"] for g in only_billing] == ["ConnectionError"]
    before = (MONDAY + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    early = api.get(f"/api/runs/failures?created_before={before}").json()["failures"]
    assert {(g["type"], g["count"]) for g in early} == {
        ("Timeout", 1),
        ("HTTPError", 1),
        ("ConnectionError", 1),
    }
    assert api.get("/api/runs/failures?range=1y").status_code == 400
    assert member(org).get("/history/failures/?range=1y").status_code == 400


def test_another_organizations_failures_are_never_shown(
    org: Organization, failed: dict[str, list[Run]]
) -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")
    secret = fail(acme, "Timeout", "CRM timed out after 99s", MONDAY)
    fail(acme, "SecretError", "the vault is open", MONDAY)
    body = api_client(org).get("/api/runs/failures").json()
    assert "SecretError" not in str(body) and body["failures"][0]["count"] == 3
    html = member(org).get("/history/failures/").content.decode()
    assert "SecretError" not in html and secret.public_id not in html
    theirs = api_client(acme).get("/api/runs/failures").json()["failures"]
    assert sorted(g["count"] for g in theirs) == [1, 1]


def test_it_pages_through_the_groups(
    org: Organization, monkeypatch: pytest.MonkeyPatch, failed: dict[str, list[Run]]
) -> None:
    monkeypatch.setattr(failures, "PAGE_SIZE", 2)
    api = api_client(org)
    first = api.get("/api/runs/failures").json()
    second = api.get("/api/runs/failures?page=2").json()
    assert first["next_page"] == 2 and second["next_page"] is None
    assert len(first["failures"]) == 2 and len(second["failures"]) == 1
    seen = [g["fingerprint"] for g in first["failures"] + second["failures"]]
    assert len(set(seen)) == 3
    html = member(org).get("/history/failures/?slug=&page=2").content.decode()
    assert 'href="?slug=&page=1" rel="prev"' in html and 'rel="next"' not in html
    for bad in ("0", "x", "9" * 5000):
        refused = api.get(f"/api/runs/failures?page={bad}")
        assert refused.status_code == 400 and "page must be a whole number" in refused.text
    assert member(org).get("/history/failures/?page=-1").status_code == 400


def test_the_failures_page_and_api_take_two_statements(
    org: Organization, failed: dict[str, list[Run]], django_assert_num_queries: Any
) -> None:
    browser: Client = member(org)
    api = api_client(org)
    api.get("/api/runs/failures")  # records the key's first use
    # session, user, membership, the groups, their newest runs, the project choices
    with django_assert_num_queries(6):
        html = browser.get("/history/failures/?range=30d").content.decode()
    assert html.count("data-fingerprint=") == 3
    with django_assert_num_queries(3):  # the key, the groups, their newest runs
        assert len(api.get("/api/runs/failures?workflow=greeting").json()["failures"]) == 2


def test_history_links_to_failures(org: Organization) -> None:
    html = member(org).get("/history/").content.decode()
    assert '<a href="/history/failures/">Failures</a>' in html


def test_first_and_last_seen_are_when_the_runs_failed(org: Organization) -> None:
    fail(org, "Timeout", "CRM timed out after 1s", MONDAY, finished_at=MONDAY + timedelta(days=3))
    fail(org, "Timeout", "CRM timed out after 2s", MONDAY + timedelta(days=1))
    late = fail(
        org, "Dns", "no host", MONDAY - timedelta(days=1), finished_at=MONDAY + timedelta(days=4)
    )
    groups = api_client(org).get("/api/runs/failures").json()["failures"]
    assert [g["type"] for g in groups] == ["Timeout", "Dns"]
    timeout = groups[0]
    assert timeout["first_seen"].startswith("2026-12-01T09:00:00")
    assert timeout["last_seen"].startswith("2026-12-03T09:00:00")
    assert groups[1]["first_seen"] == groups[1]["last_seen"]
    assert groups[1]["example_run_id"] == late.public_id


# Long runs of letters: the pieces a rule replacing only digits would leave.
TOKEN = "abcdef" * 3 + "12" + "fedcba" * 3 + "34"


def test_a_viewer_finds_no_piece_of_a_hook_token_glued_to_a_word(org: Organization) -> None:
    waiting = make_run(org, status="waiting")
    make_hook(waiting, TOKEN)
    for glued in (f"hook_{TOKEN}", f"x{TOKEN}s", f"u00e9{TOKEN}", f"{TOKEN.upper()}_1"):
        fail(org, "HookError", f"no answer to {glued} in time", MONDAY)
    pieces = {TOKEN[i : i + 16] for i in range(len(TOKEN) - 15)}
    answers = {
        "api": api_client(org, Role.VIEWER).get("/api/runs/failures").content.decode(),
        "page": member(org, Role.VIEWER).get("/history/failures/").content.decode(),
    }
    assert "no answer to" in answers["api"] and "no answer to" in answers["page"]
    for where, body in answers.items():
        leaked = [piece for piece in pieces if piece in body.lower()]
        assert not leaked, f"the {where} shows a viewer {leaked}"
