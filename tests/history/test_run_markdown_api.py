"""A run as Markdown over HTTP: GET /api/runs/<id>?format=md and /history/<id>/markdown/."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from history.models import Organization, Run, Step, UsageItem
from history.models.accounts import Role

from ..conftest import api_client
from ..factories import make_hook, make_run, member

pytestmark = pytest.mark.django_db

TOKEN = "0123456789abcdef" * 2 + "fedcba98"


@pytest.fixture
def failed(org: Organization) -> Run:
    run = make_run(
        org,
        status="failed",
        input={"email": "ada@acme.io"},
        error={"type": "ValueError", "message": "no such plan", "step_id": "step:charge#0"},
    )
    Step.objects.create(
        run=run, position=0, step_id="step:charge#0", kind="action", status="failed"
    )
    UsageItem.objects.create(run=run, kind="service", service="stripe")
    return run


def test_format_md_answers_the_run_as_markdown(api: APIClient, failed: Run) -> None:
    response = api.get(f"/api/runs/{failed.public_id}?format=md")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    body = response.content.decode()
    assert body.startswith(f"# greeting · {failed.public_id}\n")
    assert f"([open in History](http://testserver/history/{failed.public_id}/))" in body
    assert "**ValueError**: no such plan" in body and "Failing step: step:charge#0" in body
    assert "| 0 | step:charge#0 | action | failed |" in body
    assert "| Service call | stripe |" in body
    assert response["Cache-Control"] == "no-store"


def test_json_stays_the_default_and_format_json_still_works(api: APIClient, failed: Run) -> None:
    for url in (f"/api/runs/{failed.public_id}", f"/api/runs/{failed.public_id}?format=json"):
        response = api.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.json()["id"] == failed.public_id
    assert api.get("/api/runs?format=json").status_code == 200


def test_an_unknown_format_is_a_400_naming_the_ones_there_are(api: APIClient, failed: Run) -> None:
    response = api.get(f"/api/runs/{failed.public_id}?format=xml")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["details"] == {
        "format": ["format=xml is not known: choose from json, md."]
    }
    refused = api.get(f"/api/runs/{failed.public_id}?format=md", HTTP_ACCEPT="application/json")
    assert refused.status_code == 406 and refused["Content-Type"] == "application/json"
    listed = api.get("/api/runs?format=md")
    assert listed.status_code == 400
    assert "one run only" in listed.json()["error"]["details"]["format"][0]


def test_another_organizations_run_is_a_404(failed: Run) -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")
    response = api_client(acme).get(f"/api/runs/{failed.public_id}?format=md")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found"
    page = member(acme, Role.VIEWER).get(f"/history/{failed.public_id}/markdown/")
    assert page.status_code == 404 and "no such plan" not in page.content.decode()


def test_a_bad_run_id_and_no_credentials_are_refused(api: APIClient) -> None:
    bad = api.get("/api/runs/run_nope?format=md")
    assert bad.status_code == 400 and "run_<32 hex digits>" in bad.json()["error"]["message"]
    assert APIClient().get("/api/runs/run_nope?format=md").status_code == 401
    signed_out = Client().get("/history/run_nope/markdown/")
    assert signed_out.status_code == 302 and "/accounts/login/" in signed_out["Location"]


def test_viewers_may_read_it_in_the_api_and_in_history(org: Organization, failed: Run) -> None:
    api = api_client(org, Role.VIEWER).get(f"/api/runs/{failed.public_id}?format=md")
    page = member(org, Role.VIEWER).get(f"/history/{failed.public_id}/markdown/")
    assert api.status_code == page.status_code == 200
    assert page["Content-Type"] == "text/markdown; charset=utf-8"
    assert page.content == api.content
    assert "Content-Disposition" not in page
    download = member(org, Role.VIEWER).get(f"/history/{failed.public_id}/markdown/?download")
    assert download["Content-Disposition"] == f'attachment; filename="{failed.public_id}.md"'


def test_a_viewer_gets_the_markdown_without_hook_tokens_and_an_operator_with_them(
    org: Organization,
) -> None:
    run = make_run(
        org,
        status="waiting",
        input={"resume": f"https://ks.example/hooks/{TOKEN}", "note": f"token {TOKEN}"},
    )
    make_hook(run, TOKEN)
    viewers = (
        api_client(org, Role.VIEWER).get(f"/api/runs/{run.public_id}?format=md"),
        member(org, Role.VIEWER).get(f"/history/{run.public_id}/markdown/"),
        member(org, Role.VIEWER).get(f"/history/{run.public_id}/markdown/?download"),
    )
    for response in viewers:
        body = response.content.decode()
        assert response.status_code == 200 and "## Input" in body
        assert TOKEN not in body.lower()
        assert "/hooks/[hidden from viewers]" in body and "token [hidden from viewers]" in body
    operators = (
        api_client(org, Role.OPERATOR).get(f"/api/runs/{run.public_id}?format=md"),
        member(org, Role.OPERATOR).get(f"/history/{run.public_id}/markdown/"),
    )
    for response in operators:
        assert f"https://ks.example/hooks/{TOKEN}" in response.content.decode()


def test_it_reads_a_run_in_a_fixed_number_of_statements(
    api: APIClient, org: Organization, django_assert_num_queries: Any
) -> None:
    def markdown_of(steps: int) -> str:
        run = make_run(org, status="success", output={"ok": True})
        Step.objects.bulk_create(
            Step(run=run, position=n, step_id=f"step:s#{n}", kind="action", status="success")
            for n in range(steps)
        )
        UsageItem.objects.bulk_create(
            UsageItem(run=run, kind="model", model="m") for _ in range(steps)
        )
        # the key, the run, its first steps with their count, its first usage lines
        with django_assert_num_queries(4):
            return str(api.get(f"/api/runs/{run.public_id}?format=md").content.decode())

    assert api.get("/api/runs").status_code == 200  # the key's last use is recorded now
    assert "## Steps (1)" in markdown_of(1)
    assert "_20 more steps are not listed" in markdown_of(70)
