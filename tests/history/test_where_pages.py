"""The History list's Payload filter: matches, field errors, paging, saved views, bulk."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client

from history.bulk import describe, normalize_filter, preview
from history.models import Organization, SavedView

from ..factories import make_run, member

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(org: Organization) -> Client:
    return member(org, name="alice")


def test_the_payload_field_filters_the_list_and_keeps_its_lines(
    alice: Client, org: Organization
) -> None:
    ada = make_run(org, input={"email": "ada@acme.io"}, output={"score": 91})
    make_run(org, input={"email": "bob@acme.io"}, output={"score": 95})
    make_run(org, input={"email": "ada@acme.io"}, output={"score": 12})
    page = alice.get("/history/", {"where": "input.email=ada@acme.io\noutput.score>=80"})
    assert [run.pk for run in page.context["runs"]] == [ada.pk]
    html = page.content.decode()
    assert "input.email=ada@acme.io\noutput.score&gt;=80</textarea>" in html
    assert 'placeholder="input.email=ada@acme.io&#10;output.score>=80&#10;error.type~Timeout"' in (
        html
    )
    repeated = alice.get("/history/?where=input.email%3Dada%40acme.io&where=output.score%3E%3D80")
    assert [run.pk for run in repeated.context["runs"]] == [ada.pk]


def test_a_bad_clause_is_shown_at_the_field(alice: Client, org: Organization) -> None:
    make_run(org, input={"email": "ada@acme.io"})
    page = alice.get("/history/", {"where": "input.email"})
    assert page.status_code == 400 and page.context["runs"] == []
    html = page.content.decode()
    assert 'aria-invalid="true"' in html and 'id="where-error"' in html
    assert "it has no operator" in html


def test_the_filter_survives_paging(alice: Client, org: Organization) -> None:
    runs = [make_run(org, input={"n": n, "team": "a" if n % 2 else "b"}) for n in range(120)]
    first = alice.get("/history/", {"where": "input.team=a"})
    wanted = [run.pk for run in reversed(runs) if run.input["team"] == "a"]
    assert [r.pk for r in first.context["runs"]] == wanted[:50]
    cursor = first.context["next_cursor"]
    assert f"before={cursor}" in first.content.decode()
    second = alice.get("/history/", {"where": "input.team=a", "before": cursor})
    assert [r.pk for r in second.context["runs"]] == wanted[50:60]


def test_the_list_with_a_payload_filter_takes_a_fixed_number_of_statements(
    alice: Client, org: Organization, django_assert_num_queries
) -> None:
    for n in range(60):
        make_run(org, input={"email": "ada@acme.io", "n": n}, output={"score": n})
    alice.get("/history/")  # warms the slug cache and the session
    query = {"where": ["input.email=ada@acme.io", "output.score>=5"], "q": "ada"}
    # session, user, membership with its organization, runs, saved views, projects: none per run
    with django_assert_num_queries(6):
        page = alice.get("/history/", query)
    assert len(page.context["runs"]) == 50


def test_a_saved_view_keeps_repeated_clauses(alice: Client, org: Organization) -> None:
    ada = make_run(org, input={"email": "ada@acme.io"}, output={"score": 91})
    make_run(org, input={"email": "ada@acme.io"}, output={"score": 1})
    query = urlencode({"where": ["input.email=ada@acme.io", "output.score>80"]}, doseq=True)
    alice.post("/history/views/", {"name": "Ada's good runs", "query": query})
    view = SavedView.objects.get(name="Ada's good runs")
    page = alice.get(f"/history/?{view.query}")
    assert [run.pk for run in page.context["runs"]] == [ada.pk]
    alice.post("/history/views/", {"name": "Broken", "query": "where=input.nothing"})
    assert not SavedView.objects.filter(name="Broken").exists()


def test_a_bulk_action_reads_the_same_clauses(org: Organization) -> None:
    make_run(org, status="failed", input={"email": "ada@acme.io"})
    make_run(org, status="failed", input={"email": "bob@acme.io"})
    raw = {"where": ["input.email=ada@acme.io"], "status": ["failed"]}
    assert normalize_filter(raw) == raw
    assert preview(org.pk, "retry", raw).count == 1
    assert "input.email=ada@acme.io" in describe(raw)
    with pytest.raises(ValueError, match="filter.where"):
        normalize_filter({"where": "input.email"})


@pytest.mark.parametrize("query", ["input.a%3D%22%5Cu0000%22", "input.a%3D%22%5Cud800%22"])
def test_a_quoted_nul_or_lone_surrogate_is_a_400_at_the_field(
    alice: Client, org: Organization, query: str
) -> None:
    page = alice.get(f"/history/?where={query}")
    assert page.status_code == 400 and page.context["runs"] == []
    assert "where=" in page.content.decode()
