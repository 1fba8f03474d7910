"""Retry from a step end to end: a real worker runs the original, fails it, and runs the retry,
which takes over the earlier steps without executing them again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from history.models import Run, Step, parse_run_id

from ..conftest import Stack
from .test_worker import lines, start, status_becomes

pytestmark = pytest.mark.django_db(transaction=True)


def retry_from(api: APIClient, run: Run, from_step: str, input: dict[str, Any]) -> Run:
    body = {"from_step": from_step, "input": input}
    response = api.post(f"/api/runs/{run.public_id}/retry", body, format="json")
    assert response.status_code == 201, response.content
    return Run.objects.get(uid=parse_run_id(response.json()["id"]))


def recorded(run: Run) -> dict[str, tuple[Any, ...]]:
    return {
        s.step_id: (s.status, s.copied, s.attempts, s.started_at, s.output)
        for s in Step.objects.filter(run=run)
    }


def test_a_failed_run_retried_from_its_second_step_with_new_input_succeeds(
    stack: Stack, api: APIClient, tmp_path: Path
) -> None:
    stack.worker()
    marker, flag = tmp_path / "effects", tmp_path / "paid"
    order = {"marker": str(marker), "quantity": 1, "flag": str(flag)}
    original = status_becomes(start(api, "checkout", order), "failed", "success")
    assert original.status == "failed" and original.error["step_id"] == "step:effect#1"
    assert lines(marker) == ["reserve", "charge x1:failed"]

    flag.touch()
    retried = retry_from(api, original, "step:effect#1", {**order, "quantity": 3})
    status_becomes(retried, "success", "failed")
    assert retried.status == "success", retried.error
    assert retried.output == {"labels": ["reserve", "charge x3"]}, "the new input's output"
    assert lines(marker) == ["reserve", "charge x1:failed", "charge x3"], "reserve ran once"
    before, after = recorded(original), recorded(retried)
    copied = after["step:effect#0"]
    assert copied[1] is True and copied[2:] == before["step:effect#0"][2:], (
        "the same attempts, start time and output: copied, not executed"
    )
    assert after["step:effect#1"][:2] == ("success", False)
    assert retried.step_count == 2 and retried.trigger_label == "Retry · from step:effect#1"
    original.refresh_from_db()
    assert (original.status, original.attempt) == ("failed", 1), "the original stays as it was"


def test_new_input_that_changes_a_copied_steps_input_fails_naming_it(
    stack: Stack, api: APIClient, tmp_path: Path
) -> None:
    stack.worker()
    marker, elsewhere = tmp_path / "effects", tmp_path / "elsewhere"
    order = {"marker": str(marker), "flag": str(tmp_path / "paid")}
    original = status_becomes(start(api, "checkout", order), "failed")
    retried = retry_from(api, original, "step:effect#1", {**order, "marker": str(elsewhere)})
    status_becomes(retried, "failed", "success")
    assert retried.error["type"] == "CopiedStepChanged"
    assert retried.error["step_id"] == "step:effect#0"
    assert "retry from step:effect#0 or an earlier step" in retried.error["message"]
    assert lines(elsewhere) == [], "nothing ran past the copy that no longer fits"


def test_copied_branch_steps_replay_by_their_branch_ids(
    stack: Stack, api: APIClient, tmp_path: Path
) -> None:
    stack.worker()
    marker, flag = tmp_path / "effects", tmp_path / "paid"
    order = {"marker": str(marker), "flag": str(flag)}
    original = status_becomes(start(api, "fan-out", order), "failed")
    assert set(recorded(original)) == {"step:effect#0/0", "step:effect#1/0", "step:effect#0"}
    assert sorted(lines(marker)) == ["left", "right", "total x1:failed"]

    flag.touch()
    after_gather = retry_from(api, original, "step:effect#0", {**order, "quantity": 2})
    status_becomes(after_gather, "success", "failed")
    assert after_gather.output == {"labels": ["left", "right", "total x2"]}, after_gather.error
    copied = {k for k, v in recorded(after_gather).items() if v[1]}
    assert copied == {"step:effect#0/0", "step:effect#1/0"}
    assert sorted(lines(marker)) == ["left", "right", "total x1:failed", "total x2"]

    one_branch = retry_from(api, original, "step:effect#1/0", {**order, "quantity": 4})
    status_becomes(one_branch, "success", "failed")
    assert one_branch.output == {"labels": ["left", "right", "total x4"]}, one_branch.error
    assert {k for k, v in recorded(one_branch).items() if v[1]} == {"step:effect#0/0"}
    assert lines(marker).count("left") == 1 and lines(marker).count("right") == 2


def test_a_resume_url_handed_to_a_copied_step_replays_unchanged(
    stack: Stack, api: APIClient, tmp_path: Path
) -> None:
    stack.worker()
    marker = tmp_path / "effects"
    original = status_becomes(start(api, "approval", {"marker": str(marker)}), "waiting")
    token = original.steps.get(kind="hook").token
    answer = {"approved": True, "note": "ship it"}
    assert APIClient().post(f"/hooks/{token}", answer, format="json").status_code == 200
    status_becomes(original, "success")

    retried = retry_from(api, original, "step:effect#2", original.input)
    status_becomes(retried, "success", "failed")
    assert retried.output == original.output, retried.error
    assert retried.steps.get(kind="hook").copied, "the answered hook is not asked again"
    assert [line.rpartition("/")[2] for line in lines(marker)] == [
        "before",
        token,
        "after",
        "after",
    ], "only the step after the hook ran again"
