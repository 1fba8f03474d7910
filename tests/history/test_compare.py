"""Comparing two runs, on the page and over the API: input and result changes by path, steps
aligned by step id, the first divergence, and who may compare which runs."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from history.compare import STEP_LIMIT
from history.models import Organization, Run, Step
from history.models.accounts import Role

from ..conftest import api_client
from ..factories import add_steps, make_run, member

pytestmark = pytest.mark.django_db


def signups(org: Organization) -> tuple[Run, Run]:
    """Yesterday's signup that worked and today's that failed at its third step."""
    worked = make_run(
        org,
        "signup",
        status="success",
        input={"email": "ada@acme.io", "plan": "pro"},
        output={"welcomed": True},
        duration_ms=3000,
    )
    failed = make_run(
        org,
        "signup",
        status="failed",
        input={"email": "bob@acme.io", "plan": "pro", "coupon": "X1"},
        error={"type": "Boom", "message": "mail server down"},
        duration_ms=2500,
    )
    add_steps(
        worked, ("lookup", "success", {"id": 1}), ("score", "success", 7), ("mail", "success", "ok")
    )
    add_steps(
        failed,
        ("lookup", "success", {"id": 2}),
        ("score", "success", 7),
        ("mail", "failed", "down"),
    )
    return worked, failed


def test_it_diffs_the_inputs_by_path_and_aligns_the_steps(org: Organization) -> None:
    worked, failed = signups(org)
    body = (
        api_client(org, Role.VIEWER)
        .get(f"/api/runs/{worked.public_id}/compare/{failed.public_id}")
        .json()
    )
    assert (body["a"]["id"], body["b"]["id"]) == (worked.public_id, failed.public_id)
    assert (body["a"]["status"], body["b"]["status"]) == ("success", "failed")
    assert body["same_workflow"] and body["notes"] == []
    assert body["input"] == [
        {"path": "input.email", "change": "changed", "a": "ada@acme.io", "b": "bob@acme.io"},
        {"path": "input.coupon", "change": "added", "b": "X1"},
    ]
    assert {c["path"] for c in body["result"]} == {"result.output", "result.error"}
    steps = {s["step_id"]: s for s in body["steps"]}
    assert list(steps) == ["step:lookup#0", "step:score#0", "step:mail#0"]
    assert steps["step:lookup#0"]["output_differs"] and steps["step:lookup#0"]["diverges"]
    assert not steps["step:score#0"]["output_differs"] and not steps["step:score#0"]["diverges"]
    assert steps["step:score#0"]["a"] == {
        "position": 1,
        "status": "success",
        "duration_ms": 1000,
        "cost": "0.010000",
    }
    assert body["first_divergence"] == "step:lookup#0", "its output differs"


def test_the_first_divergence_is_the_step_that_failed_in_one_run(org: Organization) -> None:
    worked, failed = signups(org)
    Step.objects.filter(run=failed, position=0).update(output={"id": 1})  # the same lookup
    body = api_client(org).get(f"/api/runs/{worked.public_id}/compare/{failed.public_id}").json()
    assert body["first_divergence"] == "step:mail#0"
    mail = body["steps"][2]
    assert (mail["a"]["status"], mail["b"]["status"], mail["diverges"]) == (
        "success",
        "failed",
        True,
    )

    page = member(org, Role.VIEWER).get(f"/history/compare/{worked.public_id}/{failed.public_id}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert (
        '<tr data-step="step:mail#0" id="first-divergence" class="diverges first-divergence"'
        in html
    )
    assert 'First divergence: <a href="#first-divergence"><code>step:mail#0</code></a>' in html
    assert "success in A, failed in B" in html
    assert "<code>input.email</code>" in html and "&quot;bob@acme.io&quot;" in html


def test_runs_of_different_workflows_compare_with_their_steps_unaligned(org: Organization) -> None:
    signup = make_run(org, "signup", status="success", input={"email": "ada@acme.io"})
    report = make_run(org, "weekly-report", status="success", input={"week": 48})
    add_steps(signup, ("lookup", "success", 1))
    add_steps(report, ("query", "success", 1), ("render", "success", 2))
    body = api_client(org).get(f"/api/runs/{signup.public_id}/compare/{report.public_id}").json()
    assert not body["same_workflow"]
    assert "different workflows (signup and weekly-report)" in body["notes"][0]
    assert [(s["step_id"], s["a"] is None, s["b"] is None) for s in body["steps"]] == [
        ("step:lookup#0", False, True),
        ("step:query#0", True, False),
        ("step:render#0", True, False),
    ]
    assert body["first_divergence"] == "step:lookup#0", "a step only one run has diverges"
    assert [c["change"] for c in body["input"]] == ["removed", "added"]
    html = member(org, Role.VIEWER).get(f"/history/compare/{signup.public_id}/{report.public_id}/")
    assert "only run A has it" in html.content.decode()
    assert html.content.decode().count("not in this run") == 3


def test_another_organizations_run_on_either_side_is_a_404(org: Organization) -> None:
    mine = make_run(org, status="success")
    acme = Organization.objects.create(slug="acme", name="Acme")
    theirs = make_run(acme, status="success", input={"secret": "acme-only"})
    api = api_client(org, Role.VIEWER)
    browser = member(org, Role.VIEWER)
    for a, b in ((mine, theirs), (theirs, mine), (theirs, theirs)):
        response = api.get(f"/api/runs/{a.public_id}/compare/{b.public_id}")
        assert response.status_code == 404 and "acme-only" not in response.content.decode()
        assert response.json()["error"]["type"] == "not_found"
        page = browser.get(f"/history/compare/{a.public_id}/{b.public_id}/")
        assert page.status_code == 404 and "acme-only" not in page.content.decode()
    assert api.get(f"/api/runs/{mine.public_id}/compare/run_nope").status_code == 400
    assert Client().get(f"/history/compare/{mine.public_id}/{mine.public_id}/").status_code == 302
    own = api_client(acme).get(f"/api/runs/{theirs.public_id}/compare/{theirs.public_id}")
    assert own.status_code == 200, "Acme compares its own runs"


def test_picking_two_runs_leads_to_their_comparison_and_anything_else_is_a_400(
    org: Organization,
) -> None:
    a, b = make_run(org), make_run(org)
    viewer = member(org, Role.VIEWER)
    picked = viewer.get("/history/compare/", {"pick": [a.public_id, b.public_id], "status": "x"})
    assert picked.status_code == 302
    assert picked["Location"] == f"/history/compare/{a.public_id}/{b.public_id}/"
    pasted = viewer.get(
        "/history/compare/", {"pick": [a.public_id, f"http://h{b.get_absolute_url()}"]}
    )
    assert pasted["Location"] == f"/history/compare/{a.public_id}/{b.public_id}/"
    one = viewer.get("/history/compare/", {"pick": [a.public_id]})
    assert one.status_code == 400 and "tick exactly two runs" in one.content.decode()
    bad = viewer.get("/history/compare/", {"pick": [a.public_id, "run_x/y"]})
    assert bad.status_code == 400 and "is not a run id" in bad.content.decode()


def test_the_list_offers_compare_to_viewers_but_no_bulk_actions(org: Organization) -> None:
    run = make_run(org, status="success")
    viewer = member(org, Role.VIEWER).get("/history/").content.decode()
    assert f'name="pick" value="{run.public_id}" form="bulk"' in viewer
    assert 'action="/history/compare/" data-bulk' in viewer and "data-compare disabled" in viewer
    assert "Cancel…" not in viewer and "Retry…" not in viewer and "data-select-all" not in viewer
    overview = member(org, Role.VIEWER).get(f"/history/{run.public_id}/").content.decode()
    assert f'name="pick" value="{run.public_id}"' in overview and "Compare with run" in overview


def test_a_comparison_of_large_runs_reads_each_runs_first_steps_in_one_statement(
    org: Organization, django_assert_num_queries: Any
) -> None:
    big = [make_run(org, "import", status="success", step_count=600) for _ in range(2)]
    for run in big:
        add_steps(run, *((f"row-{i}", "success", {"row": i}) for i in range(STEP_LIMIT + 100)))
    api = api_client(org, Role.VIEWER)
    url = f"/api/runs/{big[0].public_id}/compare/{big[1].public_id}"
    api.get(url)  # records the key's first use
    with django_assert_num_queries(5):  # the key, each run, each run's steps
        body = api.get(url).json()
    assert len(body["steps"]) == STEP_LIMIT and body["first_divergence"] is None
    assert body["notes"] == [f"Only the first {STEP_LIMIT} steps of each run are compared."]
    viewer = member(org, Role.VIEWER)
    page = f"/history/compare/{big[0].public_id}/{big[1].public_id}/"
    viewer.get(page)
    with django_assert_num_queries(7):  # session, user, membership, each run, each run's steps
        html = viewer.get(page).content.decode()
    assert "No divergence" in html and html.count("<tr data-step=") == STEP_LIMIT
