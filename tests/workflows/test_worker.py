"""The engine end to end: real Celery workers and beat, PostgreSQL and Redis."""

from __future__ import annotations

import time
from pathlib import Path
from unittest import mock

import httpx
import pytest
from django.db import transaction
from rest_framework.test import APIClient

from history.fingerprints import fingerprint_of
from history.models import Organization, Run, Step, parse_run_id
from workflows import store
from workflows.registry import registry

from ..conftest import Stack
from ..factories import api_origin
from ..support import wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def start(api: APIClient, slug: str, input: dict) -> Run:
    response = api.post(f"/api/workflows/{slug}", input, format="json")
    assert response.status_code == 202, response.content
    return Run.objects.get(uid=parse_run_id(response.json()["run_id"]))


def status_becomes(run: Run, *statuses: str, timeout: float = 30) -> Run:
    def check() -> Run | None:
        run.refresh_from_db()
        return run if run.status in statuses else None

    return wait_for(
        check, timeout, what=f"{run.public_id} to become {'/'.join(statuses)} (is {run.status})"
    )


def lines(marker: Path) -> list[str]:
    return marker.read_text().splitlines() if marker.exists() else []


def test_it_runs_a_workflow_to_success_on_a_worker(stack: Stack, api: APIClient) -> None:
    stack.worker()
    run = start(api, "signup-pipeline", {"name": "Ada", "email": "ada@example.com"})
    status_becomes(run, "success")
    assert run.output["welcome"] == "Hello, Ada!"
    assert run.trigger_type == "api" and run.trigger_label == "API"
    assert run.step_count == 4 and run.duration_ms is not None and run.queue_ms is not None
    child = Run.objects.get(parent=run)
    assert (child.slug, child.status, child.trigger_type) == ("greeting", "success", "workflow")
    assert child.trigger_label == "Workflow · signup-pipeline"
    assert list(run.steps.values_list("step_id", flat=True)) == [
        "step:lookup-company#0",
        "step:score-lead#0",
        "step:greeting#0",
        "step:post-message#0",
    ]


def test_a_killed_worker_loses_nothing_and_completed_steps_run_once(
    stack: Stack, api: APIClient, tmp_path: Path
) -> None:
    marker = tmp_path / "effects"
    first = stack.worker()
    stack.beat()
    run = start(api, "three-steps", {"marker": str(marker), "slow_seconds": 4})
    wait_for(lambda: "two:start" in lines(marker), 30, what="the slow step to start")

    first.kill()  # SIGKILL mid-step: no cleanup, no acknowledgement
    stack.worker()

    status_becomes(run, "success", timeout=60)
    assert run.output == {"labels": ["one", "two", "three"]}
    effects = lines(marker)
    assert effects.count("one") == 1, effects
    assert effects.count("three") == 1, effects
    assert effects.count("two:start") == 2, "the step in flight runs again (at least once)"
    assert effects.count("two") == 1, effects
    assert run.steps.count() == 3


def test_a_sleep_survives_a_worker_restart(stack: Stack, api: APIClient, tmp_path: Path) -> None:
    marker = tmp_path / "effects"
    worker = stack.worker()
    stack.beat()
    run = start(api, "three-steps", {"marker": str(marker), "sleep_seconds": 3})
    status_becomes(run, "sleeping")
    sleep_step = run.steps.get(kind="sleep")
    assert sleep_step.status == "sleeping" and sleep_step.wake_at == run.wake_at

    worker.stop()
    stack.worker()
    status_becomes(run, "success", timeout=30)
    assert lines(marker) == ["one", "two", "three"]
    assert run.steps.get(kind="sleep").status == "success"


def test_a_hook_resumed_over_http_delivers_its_payload(
    stack: Stack, api: APIClient, tmp_path: Path, live_server
) -> None:
    marker = tmp_path / "effects"
    stack.worker(KEYSTROKE_PUBLIC_URL=live_server.url)
    run = start(api, "approval", {"marker": str(marker)})
    status_becomes(run, "waiting")
    hook = run.steps.get(kind="hook")
    url = lines(marker)[1]
    assert url == f"{live_server.url}/hooks/{hook.token}", (
        "the URL is published before the run waits"
    )

    bad = httpx.post(url, json={"note": "no decision"})
    assert bad.status_code == 400 and "approved" in bad.json()["error"]["details"]["fields"]
    ok = httpx.post(url, json={"approved": True, "note": "ship it"})
    assert ok.status_code == 200 and ok.json()["run_id"] == run.public_id
    again = httpx.post(url, json={"approved": False})
    assert again.status_code == 409

    status_becomes(run, "success")
    assert run.output == {"approved": True, "note": "ship it", "labels": ["before", "after"]}
    assert lines(marker).count("before") == 1
    assert httpx.post(f"{live_server.url}/hooks/not-a-token", json={}).status_code == 404


def test_a_failed_run_retried_continues_at_its_failing_step(
    stack: Stack, api: APIClient, tmp_path: Path
) -> None:
    marker, flag = tmp_path / "effects", tmp_path / "flag"
    stack.worker()
    run = start(api, "three-steps", {"marker": str(marker), "flag": str(flag)})
    status_becomes(run, "failed")
    assert run.error["type"] == "RetriesExhausted"
    assert run.error["step_id"] == "step:effect#1"
    assert "flag does not exist yet" in run.error["message"]
    assert "RuntimeError" in run.error["traceback"]
    assert run.error_fingerprint == fingerprint_of(run.error), "Failures groups it"

    flag.touch()
    response = api.post(f"/api/runs/{run.public_id}/retry")
    assert response.status_code == 200 and response.json()["attempt"] == 2
    status_becomes(run, "success")
    assert lines(marker) == ["one", "two:failed", "two", "three"], "step one is not repeated"
    assert run.attempt == 2 and run.error is None and run.error_fingerprint == ""


def test_cancel_stops_queued_sleeping_waiting_and_running_runs(
    stack: Stack, api: APIClient, tmp_path: Path
) -> None:
    queued = start(api, "three-steps", {"marker": str(tmp_path / "queued")})
    assert api.post(f"/api/runs/{queued.public_id}/cancel").status_code == 200

    stack.worker()
    stack.beat()
    sleeping = start(api, "three-steps", {"marker": str(tmp_path / "sleeping"), "sleep_seconds": 2})
    waiting = start(api, "approval", {"marker": str(tmp_path / "waiting")})
    running = start(api, "three-steps", {"marker": str(tmp_path / "running"), "slow_seconds": 2})
    status_becomes(sleeping, "sleeping")
    status_becomes(waiting, "waiting")
    wait_for(lambda: "two:start" in lines(tmp_path / "running"), 30, what="the slow step")

    for run in (sleeping, waiting, running):
        response = api.post(f"/api/runs/{run.public_id}/cancel")
        assert response.status_code == 200 and response.json()["status"] == "canceled"
    hook = waiting.steps.get(kind="hook")
    assert (
        APIClient().post(f"/hooks/{hook.token}", {"approved": True}, format="json").status_code
        == 409
    )

    wait_for(lambda: "two" in lines(tmp_path / "running"), 30, what="the step in flight to end")
    time.sleep(3)  # past the sleep's wake time, the lease and a few sweeps
    for run in (queued, sleeping, waiting, running):
        run.refresh_from_db()
        assert run.status == "canceled"
    assert lines(tmp_path / "queued") == []
    assert "three" not in lines(tmp_path / "sleeping")
    assert "after" not in lines(tmp_path / "waiting")
    assert "three" not in lines(tmp_path / "running")
    assert not running.steps.filter(step_id="step:effect#1").exists(), (
        "cancellation is not recorded as a step"
    )
    assert api.post(f"/api/runs/{running.public_id}/cancel").status_code == 409


def test_a_lost_broker_message_is_recovered_by_the_sweeper(stack: Stack, org: Organization) -> None:
    with mock.patch("workflows.queue.enqueue_on_commit"), transaction.atomic():
        run = store.create_run_txn(registry.workflow("greeting"), {"name": "Lost"}, api_origin(org))
    stack.worker()
    stack.beat()
    status_becomes(run, "success", timeout=30)
    assert run.output == {"message": "Hello, Lost!"}


def test_bad_input_is_refused_with_field_errors_and_creates_no_run(api: APIClient) -> None:
    response = api.post(
        "/api/workflows/signup-pipeline", {"name": "Ada", "email": "not-an-email"}, format="json"
    )
    assert response.status_code == 400
    assert "email" in response.json()["error"]["details"]["fields"]
    assert response.json()["error"]["message"].startswith(
        "Invalid input for signup-pipeline: email"
    )
    assert not Run.objects.exists()
    assert not Step.objects.exists()


def test_a_crash_after_a_step_returned_and_before_it_was_recorded_runs_the_step_again(
    stack: Stack, api: APIClient, tmp_path: Path
) -> None:
    marker = tmp_path / "effects"
    # The named fault point ends the pool process right there, every time, unlike a timed SIGKILL.
    first = stack.worker(KEYSTROKE_FAULT="step-returned:step:effect#1")
    run = start(api, "three-steps", {"marker": str(marker)})
    wait_for(lambda: "two" in lines(marker), 30, what="the second step to return")
    wait_for(
        lambda: "exited with 'exitcode 70'" in first.output(),
        30,
        what="the pool process to end at the fault",
    )
    first.kill()
    assert not run.steps.filter(step_id="step:effect#1").exists(), (
        "the step returned but was never recorded"
    )

    stack.worker()
    stack.beat()  # the sweeper requeues the run once its lease (3 s here) lapses
    status_becomes(run, "success", timeout=60)
    assert lines(marker) == ["one", "two", "two", "three"], "only the unrecorded step ran again"
