"""A worker stopped with SIGTERM finishes the step in flight, then hands its runs back at once."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from history.models import Run

from ..conftest import Stack
from ..support import Process, wait_for
from .test_worker import lines, start, status_becomes

pytestmark = pytest.mark.django_db(transaction=True)

# Long enough that only a released lease, never a lapsed one, can explain a prompt takeover.
SLOW = {"KEYSTROKE_LEASE_SECONDS": "120", "KEYSTROKE_STALE_QUEUED_SECONDS": "120"}


def exits(process: Process, timeout: float) -> float:
    began = time.monotonic()
    wait_for(lambda: process.proc.poll() is not None, timeout, what=f"{process.name} to exit")
    return time.monotonic() - began


@pytest.mark.parametrize("whole_group", [True, False], ids=["service-manager", "main-process-only"])
def test_sigterm_releases_the_run_to_another_worker_after_the_step_in_flight(
    stack: Stack, api: APIClient, tmp_path: Path, whole_group: bool
) -> None:
    marker = tmp_path / "effects"
    first = stack.worker(**SLOW)
    run = start(api, "slow-steps", {"marker": str(marker), "count": 8, "seconds": 1})
    wait_for(lambda: "s1:start" in lines(marker), 30, what="the second step to start")
    second = stack.worker(**SLOW)

    # systemd's default stop signals the whole group; `kill <pid>` reaches the main process only.
    if whole_group:
        os.killpg(first.proc.pid, signal.SIGTERM)
    else:
        os.kill(first.proc.pid, signal.SIGTERM)
    assert exits(first, 30) < 4, "the worker waits for the step in flight (1 s), not for its run (8 s)"
    assert first.proc.returncode == 0, first.output()[-2000:]
    assert "released" in first.output(), first.output()[-2000:]

    status_becomes(run, "success", timeout=20)
    effects = lines(marker)
    for n in range(8):
        assert effects.count(f"s{n}:start") == 1 and effects.count(f"s{n}") == 1, f"each step ran once: {effects}"
    assert second.proc.poll() is None
    run.refresh_from_db()
    assert run.steps.count() == 8 and run.lease_owner == ""


def test_an_idle_worker_stops_promptly(stack: Stack) -> None:
    worker = stack.worker()
    os.killpg(worker.proc.pid, signal.SIGTERM)
    assert exits(worker, 20) < 10
    assert worker.proc.returncode == 0
    assert not Run.objects.exists()


def test_a_second_sigterm_stops_at_once_and_the_run_is_not_lost(stack: Stack, api: APIClient, tmp_path: Path) -> None:
    marker = tmp_path / "effects"
    first = stack.worker(**SLOW)
    run = start(api, "slow-steps", {"marker": str(marker), "count": 3, "seconds": 5})
    wait_for(lambda: "s0:start" in lines(marker), 30, what="the first step to start")
    os.killpg(first.proc.pid, signal.SIGTERM)
    time.sleep(0.5)
    os.killpg(first.proc.pid, signal.SIGTERM)
    assert exits(first, 30) < 4, "asked twice, the worker does not wait for the step in flight"
    assert "released" in first.output(), first.output()[-2000:]
    stack.worker(**SLOW)
    status_becomes(run, "success", timeout=30)
    effects = lines(marker)
    assert effects.count("s0:start") == 2 and effects.count("s0") == 1, f"the interrupted step ran again: {effects}"
