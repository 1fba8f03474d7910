"""Pause end to end: a real worker and beat hold a paused workflow's queued runs past the
sweeper's re-send interval, and run them once it is resumed.
"""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from history.models import Organization, Run
from workflows import store
from workflows.registry import registry

from ..conftest import Stack
from ..factories import api_origin, make_run
from .test_worker import lines, start, status_becomes

pytestmark = pytest.mark.django_db(transaction=True)


def test_held_runs_wait_through_the_sweeps_and_run_once_resumed(
    stack: Stack, api: APIClient, org: Organization, tmp_path: Path
) -> None:
    stack.worker()
    stack.beat()
    for slug in ("three-steps", "greeting"):
        assert api.post(f"/api/workflows/{slug}/pause", format="json").json()["paused"] is True
    held = start(api, "three-steps", {"marker": str(tmp_path / "held")})
    failed = make_run(org, "three-steps", status="failed", input={"marker": str(tmp_path / "re")})
    assert api.post(f"/api/runs/{failed.public_id}/retry").status_code == 200
    failed.refresh_from_db()
    parent = start(api, "signup-pipeline", {"name": "Ada", "email": "ada@example.com"})
    # A run whose message was lost: the sweeper sends it once it has been queued for
    # STALE_QUEUED_SECONDS, and the held runs, queued before it, for longer than that.
    with mock.patch("workflows.queue.enqueue_on_commit"), transaction.atomic():
        lost = store.create_run_txn(
            registry.workflow("slow-steps"),
            {"marker": str(tmp_path / "lost"), "count": 1, "seconds": 0},
            api_origin(org),
        )
    status_becomes(lost, "success")
    status_becomes(parent, "waiting")  # an active parent runs and waits on its held child
    child = Run.objects.get(parent=parent)
    for run in (held, failed, child):
        sent_at = run.enqueued_at
        run.refresh_from_db()
        assert (run.status, run.started_at, run.enqueued_at) == ("queued", None, sent_at), (
            "held, never claimed nor sent again by the sweeper"
        )
    assert lines(tmp_path / "held") == [] and lines(tmp_path / "re") == []

    for slug in ("three-steps", "greeting"):
        assert api.post(f"/api/workflows/{slug}/resume", format="json").json()["changed"] is True
    for run in (held, failed, child, parent):
        status_becomes(run, "success")
    assert lines(tmp_path / "held") == ["one", "two", "three"]
    assert failed.attempt == 2 and lines(tmp_path / "re") == ["one", "two", "three"]
