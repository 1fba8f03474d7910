"""The trace exports: JSON that parses back to the stored spans, waits and logs, and a Markdown
timeline; from the Trace tab and from GET /api/runs/<id>/trace."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest
from rest_framework.test import APIClient

from history.models import Organization, Run
from history.models.accounts import Role

from ..conftest import api_client
from ..factories import make_hook, make_run, member
from .trace_runs import at, investigated_run, log

pytestmark = pytest.mark.django_db

SPAN_FIELDS = ("trace_id", "span_id", "parent_span_id", "name", "kind", "status", "attributes")
LOG_FIELDS = ("span_id", "level", "logger", "message", "attributes")


def parsed(row: dict[str, Any], fields: tuple[str, ...], times: tuple[str, ...]) -> tuple:
    return (
        *(row[name] for name in fields),
        *(datetime.fromisoformat(row[name]) if row[name] else None for name in times),
    )


def test_the_json_export_round_trips_to_the_stored_spans_and_logs(
    api: APIClient, org: Organization
) -> None:
    run = investigated_run(org)
    response = api.get(f"/api/runs/{run.public_id}/trace")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    document = json.loads(response.content)
    assert document["version"] == 1 and document["run"]["trace_id"] == run.uid.hex
    spans = [parsed(s, SPAN_FIELDS, ("started_at", "ended_at")) for s in document["spans"]]
    stored = run.spans.order_by("started_at", "id").values_list(
        *SPAN_FIELDS, "started_at", "ended_at"
    )
    assert spans == list(stored)
    logs = [parsed(entry, LOG_FIELDS, ("created_at",)) for entry in document["logs"]]
    assert logs == list(
        run.log_records.order_by("created_at", "id").values_list(*LOG_FIELDS, "created_at")
    )
    assert len(logs) == 6, "the export holds the framework's records too"
    waits = [(w["kind"], w["step_id"], w["started_at"], w["wakes_at"]) for w in document["waits"]]
    assert waits == [
        ("backoff", "step:lookup-company#0", at(1.5).isoformat(), at(10.1).isoformat()),
        ("sleep", "step:sleep#0", at(11.5).isoformat(), at(20).isoformat()),
        ("hook", "step:hook:approval#0", at(20.5).isoformat(), at(20.5 + 3600).isoformat()),
        ("child", "step:child:greeting#0", at(30.5).isoformat(), None),
    ]
    child = run.steps.get(kind="workflow").child_run
    assert document["waits"][-1]["child_run"] == child.public_id


def test_the_markdown_export_reads_as_a_timeline(api: APIClient, org: Organization) -> None:
    run = investigated_run(org)
    response = api.get(f"/api/runs/{run.public_id}/trace?format=md")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/markdown")
    text = response.content.decode()
    assert text.startswith(f"# Trace of signup-pipeline · {run.public_id}")
    assert "## Timeline" in text and "5 passes" in text
    lines = [line for line in text.splitlines() if line.lstrip().startswith("- +")]
    wakes = at(10.1).isoformat(timespec="milliseconds")
    assert lines[:3] == [
        "- +0 ms **signup-pipeline** `pass` 2.00 s",
        "  - +500 ms **lookup-company** `action` attempt 1 1.00 s **error**",
        f"  - +1.50 s **lookup-company** `backoff` waits 8.60 s, wakes {wakes}",
    ]
    assert "**hook:approval** `hook` waits 9.50 s" in text
    assert "WARNING kombu.connection: No hostname was supplied" in text


def test_the_trace_tab_offers_both_downloads(org: Organization) -> None:
    run = investigated_run(org)
    alice = member(org, name="alice")
    tab = alice.get(f"/history/{run.public_id}/?tab=trace").content.decode()
    for fmt in ("json", "md"):
        assert f"/history/{run.public_id}/trace/download/?format={fmt}" in tab
        response = alice.get(f"/history/{run.public_id}/trace/download/?format={fmt}")
        assert response.status_code == 200
        assert (
            response["Content-Disposition"] == f'attachment; filename="{run.public_id}.trace.{fmt}"'
        )
    document = json.loads(alice.get(f"/history/{run.public_id}/trace/download/").content)
    assert len(document["spans"]) == run.spans.count()
    assert alice.get(f"/history/{run.public_id}/trace/download/?format=xml").status_code == 400


def test_an_unknown_format_is_a_400_and_another_organizations_run_a_404(api: APIClient) -> None:
    other = Organization.objects.create(name="Other", slug="other")
    theirs = make_run(other)
    response = api.get(f"/api/runs/{theirs.public_id}/trace")
    assert response.status_code == 404
    mine = make_run(Organization.objects.default())
    bad = api.get(f"/api/runs/{mine.public_id}/trace?format=xml")
    assert bad.status_code == 400 and "format" in bad.json()["error"]["details"]


def test_a_run_without_spans_exports_empty_lists(api: APIClient, org: Organization) -> None:
    run: Run = make_run(org)
    document = api.get(f"/api/runs/{run.public_id}/trace").json()
    assert (document["spans"], document["waits"], document["logs"]) == ([], [], [])


def test_a_viewer_gets_no_prefix_of_a_token_the_markdown_cut_through(org: Organization) -> None:
    """The Markdown logs are cut at 300 characters; a token straddling the cut must not leave
    its first 39 digits, which the middleware (masking whole tokens only) would let through."""
    run = investigated_run(org)
    token = "ab" * 20
    make_hook(run, token, position=9, step_id="step:hook:later#0")
    owner = run.spans.filter(parent_span_id="").first()
    assert owner is not None
    log(run, owner, 51, "INFO", "signup", "x" * 261 + token + " tail")
    viewer = member(org, Role.VIEWER)
    tab = viewer.get(f"/history/{run.public_id}/trace/download/?format=md")
    api = api_client(org, Role.VIEWER).get(f"/api/runs/{run.public_id}/trace?format=md")
    for response in (tab, api):
        assert response.status_code == 200
        body = response.content.decode()
        assert "x" * 261 in body and token[:16] not in body
