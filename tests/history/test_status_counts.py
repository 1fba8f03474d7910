"""Counts per status above the run list and at GET /api/runs/counts: exact up to the cap, the
planner's estimate past it, for every filter the list takes, and never another organization's
runs."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from history import counts
from history.filters import RunFilter
from history.fingerprints import fingerprint_of
from history.models import Organization, Project, Run

from ..conftest import api_client
from ..factories import make_run, member

pytestmark = pytest.mark.django_db

CRM_TIMEOUT = {"type": "Timeout", "message": "CRM timed out after 30s"}


def analyze() -> None:
    # Fresh tables have no statistics; the estimate of a real table comes from ANALYZE too.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE history_run")


@pytest.fixture
def capped(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(counts, "COUNT_CAP", 5)
    return 5


def test_it_counts_exactly_below_the_cap_and_estimates_past_it(
    org: Organization, capped: int
) -> None:
    for _ in range(8):
        make_run(org, status="failed", error=CRM_TIMEOUT)
    for _ in range(2):
        make_run(org, status="running")
    analyze()
    body = api_client(org).get("/api/runs/counts").json()
    assert body["counts"]["running"] == {"count": 2, "exact": True, "estimate": None}
    failed = body["counts"]["failed"]
    assert failed["count"] == capped and failed["exact"] is False
    assert failed["estimate"] == 8, "the planner's estimate of an analyzed table"
    assert body["counts"]["success"] == {"count": 0, "exact": True, "estimate": None}
    assert body["cap"] == capped and body["exact"] is False and body["total"] == 10

    html = member(org).get("/history/counts/").content.decode()
    assert 'data-status-count="failed"' in html and "≈ 8" in html
    assert "the count stops there and this is the database&#x27;s estimate" in html
    assert "Running <strong>2</strong>" in html and 'data-status-count="success"' not in html


def test_a_count_past_the_cap_without_a_larger_estimate_says_more_than(
    org: Organization, capped: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(7):
        make_run(org, status="success")
    monkeypatch.setattr(counts, "_estimates", lambda runs, statuses: {"success": 3})
    body = api_client(org).get("/api/runs/counts").json()
    assert body["counts"]["success"] == {"count": 5, "exact": False, "estimate": None}
    html = member(org).get("/history/counts/").content.decode()
    assert "more than 5" in html and "the count stops there, so that it stays fast" in html


def test_each_count_links_to_the_list_narrowed_to_its_status(org: Organization) -> None:
    make_run(org, "greeting", status="failed")
    make_run(org, "greeting", status="success")
    html = member(org).get("/history/counts/?slug=greeting&status=failed&before=x").content.decode()
    assert 'href="/history/?slug=greeting&amp;status=failed"' in html
    assert 'data-status-count="success"' not in html, "the status filter is honoured"


def test_the_list_loads_its_counts_with_its_own_filters(org: Organization) -> None:
    html = member(org).get("/history/?slug=greeting&range=24h").content.decode()
    assert 'hx-get="/history/counts/?slug=greeting&amp;range=24h" hx-trigger="load"' in html
    bad = member(org).get("/history/?range=1y")
    assert bad.status_code == 400 and "/history/counts/" not in bad.content.decode()
    assert member(org).get("/history/counts/?range=1y").status_code == 400
    refused = api_client(org).get("/api/runs/counts?status=exploded")
    assert refused.status_code == 400 and "status" in refused.content.decode()


def dataset(org: Organization) -> None:
    """Runs that every filter tells apart, and the same runs in a second organization."""
    now = timezone.now()
    billing = Project.objects.create(organization=org, slug="billing", name="Billing")
    rows: list[dict[str, Any]] = [
        {"slug": "signup", "status": "failed", "error": CRM_TIMEOUT},
        {"slug": "signup", "status": "success", "trigger_type": "webhook", "trigger_id": "hook:a"},
        {"slug": "helper", "kind": "agent", "status": "running", "models_used": ["openai:gpt"]},
        {
            "slug": "signup",
            "status": "waiting",
            "actor": "ada",
            "total_cost": Decimal("2"),
            "input": {"email": "ada@acme.io", "seats": 12},
        },
        {"slug": "report", "status": "success", "project": billing, "version": "v2"},
        {"slug": "report", "status": "queued", "created_at": now - timedelta(days=3)},
        {"slug": "report", "status": "canceled", "created_at": now - timedelta(days=40)},
        {"slug": "signup", "status": "sleeping", "trigger_type": "schedule"},
    ]
    other = Organization.objects.create(slug="acme", name="Acme")
    for owner in (org, other):
        for fields in rows:
            project = fields.get("project") if owner == org else None
            fields = {k: v for k, v in fields.items() if k != "project"}
            Run.objects.create(
                organization=owner, project=project or owner.default_project(), **fields
            )


def filter_values(org: Organization) -> dict[str, str]:
    run = Run.objects.filter(organization=org, slug="signup", status="failed").get()
    day = timezone.now() - timedelta(days=1)
    return {
        "id": run.public_id,
        "kind": "kind=agent",
        "status": "status=success&status=failed",
        "slug": "slug=report",
        "workflow": "workflow=signup",
        "agent": "agent=helper",
        "trigger": "trigger=schedule",
        "trigger_id": "trigger_id=hook",
        "project": "project=billing",
        "actor": "actor=ada",
        "q": "q=crm",
        "created_after": f"created_after={day:%Y-%m-%dT%H:%M}",
        "created_before": f"created_before={day:%Y-%m-%dT%H:%M}",
        "range": "range=7d",
        "min_cost": "min_cost=1",
        "model": "model=openai:gpt",
        "fingerprint": f"fingerprint={fingerprint_of(CRM_TIMEOUT)}",
        "where": "where=input.email%3Dada%40acme.io&where=input.seats%3E%3D10",
        "version": "version=v2",
    }


def test_counts_honour_every_filter_of_the_list_and_only_the_callers_organization(
    org: Organization,
) -> None:
    dataset(org)
    Run.objects.filter(error__isnull=False).update(error_fingerprint=fingerprint_of(CRM_TIMEOUT))
    values = filter_values(org)
    values["id"] = f"id={values['id']}"
    assert set(values) == set(RunFilter.base_filters), "give each filter of the list a case"
    api = api_client(org)
    for name, query in ["", ""], *values.items():
        listed = api.get(f"/api/runs?{query}&limit=500").json()["results"]
        expected = Counter(run["status"] for run in listed)
        body = api.get(f"/api/runs/counts?{query}").json()
        found = {s: c["count"] for s, c in body["counts"].items() if c["count"]}
        assert found == dict(expected), f"counts of {name or 'no filter'}"
        assert body["total"] == len(listed) and body["exact"] is True
    assert api.get("/api/runs/counts").json()["total"] == 8, "never another organization's"


def test_the_counts_fragment_and_api_take_one_statement_exact_and_two_estimated(
    org: Organization, capped: int, django_assert_num_queries: Any
) -> None:
    for status in ("failed", "success", "running"):
        for _ in range(3):
            make_run(org, status=status)
    browser: Client = member(org)
    api: APIClient = api_client(org)
    api.get("/api/runs/counts")  # records the key's first use
    with django_assert_num_queries(4):  # session, user, membership, the counts
        assert browser.get("/history/counts/?range=30d").status_code == 200
    with django_assert_num_queries(2):  # the key, the counts
        assert api.get("/api/runs/counts?workflow=greeting&status=failed").status_code == 200
    for _ in range(5):
        make_run(org, status="failed")
    analyze()
    # ... and one EXPLAIN for every status past the cap, with parallel plans off for it in a
    # savepoint rolled back after it (savepoint, SET LOCAL, EXPLAIN, rollback, release); outside
    # a transaction, as in production, only SET LOCAL and EXPLAIN are statements
    with django_assert_num_queries(9):
        assert "≈" in browser.get("/history/counts/").content.decode()
    with django_assert_num_queries(7):
        assert api.get("/api/runs/counts").json()["counts"]["failed"]["exact"] is False


def test_a_retrying_count_is_labelled_and_linked_as_retrying(org: Organization) -> None:
    from .test_waits import retrying, sleeping

    retrying(org)
    sleeping(org)
    make_run(org, status="failed")
    html = member(org).get("/history/counts/?status=retrying&status=failed").content.decode()
    assert 'data-status-count="retrying"' in html and "Retrying <strong>1</strong>" in html
    assert 'href="/history/?status=retrying"' in html, "the link keeps listing retrying runs"
    assert "Sleeping" not in html and 'href="/history/?status=sleeping"' not in html
    both = member(org).get("/history/counts/?status=retrying&status=sleeping").content.decode()
    assert "Sleeping <strong>2</strong>" in both and 'href="/history/?status=sleeping"' in both


def test_estimates_survive_a_parallel_plan(
    org: Organization, capped: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for status in ("failed", "success"):
        for _ in range(8):
            make_run(org, status=status)
    analyze()
    with connection.cursor() as cursor:
        for setting in (
            "parallel_setup_cost=0",
            "parallel_tuple_cost=0",
            "min_parallel_table_scan_size=0",
            "min_parallel_index_scan_size=0",
            "enable_indexscan=off",
            "enable_bitmapscan=off",
            "enable_indexonlyscan=off",
        ):
            cursor.execute(f"SET {setting}")
    try:
        found = counts.count_by_status(Run.objects.filter(organization=org))
        by_status = {c.status: c for c in found.statuses}
        assert by_status["failed"].estimate == 8 and by_status["success"].estimate == 8
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ALL")


def test_an_estimate_near_the_cap_never_rounds_down_to_it() -> None:
    from history.views.counts import shown

    near = counts.StatusCount("failed", "Failed", 10_000, False, 10_049)
    assert shown(near) == "≈ 10,050", "never the cap itself, which reads as no more than it"
    assert shown(counts.StatusCount("failed", "Failed", 10_000, False, 10_001)) == "≈ 10,001"
    assert shown(counts.StatusCount("failed", "Failed", 10_000, False, 10_400)) == "≈ 10,400"
    assert shown(counts.StatusCount("failed", "Failed", 10_000, False, 71_234)) == "≈ 71,000"
    assert shown(counts.StatusCount("failed", "Failed", 5, False, 8)) == "≈ 8"
