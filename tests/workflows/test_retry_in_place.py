"""An in-place retry runs again what failed the run, and replays a failure the workflow caught
and went past: that step is part of the path the run took, not something left to do."""

from __future__ import annotations

from pathlib import Path

import pytest
from rest_framework.test import APIClient

from ..conftest import Stack
from .test_worker import lines, start, status_becomes

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_retry_keeps_a_caught_failure_and_runs_the_failed_step_again(
    stack: Stack, api: APIClient, tmp_path: Path
) -> None:
    stack.worker()
    marker, flag = tmp_path / "effects", tmp_path / "ready"
    run = status_becomes(
        start(api, "goes-past", {"marker": str(marker), "flag": str(flag)}), "failed", "success"
    )
    assert run.status == "failed" and run.error["step_id"] == "step:effect#1"
    assert lines(marker) == ["optional:failed", "finish:failed"]

    flag.touch()
    assert api.post(f"/api/runs/{run.public_id}/retry").status_code == 200
    status_becomes(run, "success", "failed")
    assert run.status == "success", run.error
    assert run.output == {"labels": ["went past optional", "finish"]}
    assert lines(marker) == ["optional:failed", "finish:failed", "finish"], (
        "the caught failure was replayed, not run again"
    )
    assert [(s.step_id, s.status) for s in run.steps.order_by("position")] == [
        ("step:effect#0", "failed"),
        ("step:effect#1", "success"),
    ]
