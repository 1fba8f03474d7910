"""History's Workflows page: each workflow's and agent's state and queued runs, Pause and
Resume for operators; a queued run of a paused workflow says so in the list and its header.
"""

from __future__ import annotations

import pytest
from django.test import Client

from history.models import AuditEvent, Organization, WorkflowPause
from history.models.accounts import Role
from workflows import store

from ..factories import make_run, member

pytestmark = pytest.mark.django_db


def row_of(text: str, slug: str) -> str:
    start = text.index(f'data-workflow="{slug}"')
    return text[start : text.index("</tr>", start)]


def test_an_operator_pauses_with_a_reason_and_resumes(org: Organization) -> None:
    alice = member(org, Role.OPERATOR, name="alice")
    make_run(org)
    make_run(org, status="success")
    page = alice.get("/history/workflows/").content.decode()
    assert 'data-state="active"' in row_of(page, "greeting") and "Pause</button>" in page
    assert '?slug=greeting&amp;status=queued">1</a>' in row_of(page, "greeting")

    done = alice.post("/history/workflows/greeting/pause/", {"reason": "CRM is down"}, follow=True)
    assert "Paused greeting" in done.content.decode()
    row = row_of(done.content.decode(), "greeting")
    assert 'data-state="paused"' in row and "by alice since" in row and "CRM is down" in row
    assert "Resume</button>" in row
    pause = WorkflowPause.objects.get()
    assert (pause.slug, pause.paused_by, pause.reason) == ("greeting", "alice", "CRM is down")
    again = alice.post("/history/workflows/greeting/pause/", follow=True).content.decode()
    assert "greeting was already paused" in again

    alice.post("/history/workflows/greeting/resume/")
    assert not WorkflowPause.objects.exists()
    assert list(AuditEvent.objects.order_by("id").values_list("action", "actor")) == [
        ("workflow.pause", "alice"),
        ("workflow.resume", "alice"),
    ]


def test_a_viewer_sees_the_state_but_no_buttons_and_is_refused(org: Organization) -> None:
    store.pause_txn(org.pk, "greeting", "alice", "")
    viewer = member(org, Role.VIEWER)
    page = viewer.get("/history/workflows/").content.decode()
    assert 'data-state="paused"' in row_of(page, "greeting")
    assert "pause-form" not in page and "Pause</button>" not in page
    assert viewer.post("/history/workflows/greeting/resume/").status_code == 403
    assert viewer.post("/history/workflows/signup-pipeline/pause/").status_code == 403
    assert WorkflowPause.objects.count() == 1 and not AuditEvent.objects.exists()


def test_an_unknown_slug_is_404_and_a_long_reason_is_refused(org: Organization) -> None:
    alice = member(org, Role.OPERATOR)
    assert alice.post("/history/workflows/nope/pause/").status_code == 404
    refused = alice.post("/history/workflows/greeting/pause/", {"reason": "x" * 501}, follow=True)
    assert "keep it to 500" in refused.content.decode()
    assert not WorkflowPause.objects.exists()


def test_a_held_run_says_who_paused_its_workflow_in_the_list_and_its_header(
    org: Organization,
) -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")
    held, running = make_run(org), make_run(org, status="running")
    other = make_run(org, "signup-pipeline")
    store.pause_txn(org.pk, "greeting", "alice", "")
    store.pause_txn(acme.pk, "signup-pipeline", "mallory", "")
    viewer: Client = member(org, Role.VIEWER)
    listing = viewer.get("/history/").content.decode()
    assert listing.count("workflow paused by alice") == 1 and "mallory" not in listing
    header = viewer.get(f"/history/{held.public_id}/").content.decode()
    assert "workflow paused by alice since" in header
    for run in (running, other):
        assert "workflow paused by" not in viewer.get(f"/history/{run.public_id}/").content.decode()


def test_the_page_reads_in_a_fixed_number_of_queries(
    org: Organization, django_assert_num_queries
) -> None:
    alice = member(org, Role.OPERATOR)
    for slug in ("greeting", "signup-pipeline", "approval"):
        make_run(org, slug)
        store.pause_txn(org.pk, slug, "alice", "")
    alice.get("/history/workflows/")
    # session, user, membership with its organization, pauses, queued counts
    with django_assert_num_queries(5):
        assert alice.get("/history/workflows/").status_code == 200
