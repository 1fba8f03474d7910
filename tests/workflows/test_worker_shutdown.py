"""A worker stopped with SIGTERM finishes the step in flight, then hands its runs back at once."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from workflows import tracing

from ..conftest import Stack
from ..support import Process, wait_for
from .test_worker import lines, start, status_becomes

pytestmark = pytest.mark.django_db(transaction=True)

# Long enough that only a released lease, never a lapsed one, can explain a prompt takeover.
SLOW = {"KEYSTROKE_LEASE_SECONDS": "120", "KEYSTROKE_STALE_QUEUED_SECONDS": "120"}
# Eight steps of two seconds: far longer than the one step a draining worker waits for.
LONG_RUN = {"count": 8, "seconds": 2}


def exits(process: Process, timeout: float) -> float:
    began = time.monotonic()
    wait_for(lambda: process.proc.poll() is not None, timeout, what=f"{process.name} to exit")
    return time.monotonic() - began


def pool_processes(worker: Process) -> list[int]:
    children = Path(f"/proc/{worker.proc.pid}/task/{worker.proc.pid}/children").read_text().split()
    return [int(pid) for pid in children]


def assert_each_step_ran_once(marker: Path, count: int) -> None:
    effects = lines(marker)
    for n in range(count):
        assert effects.count(f"s{n}:start") == 1 and effects.count(f"s{n}") == 1, (
            f"each step ran once: {effects}"
        )


@pytest.mark.parametrize("whole_group", [True, False], ids=["service-manager", "main-process-only"])
def test_sigterm_releases_the_run_to_another_worker_after_the_step_in_flight(
    stack: Stack, api: APIClient, tmp_path: Path, whole_group: bool
) -> None:
    marker = tmp_path / "effects"
    first = stack.worker(**SLOW)
    run = start(api, "slow-steps", {"marker": str(marker), **LONG_RUN})
    wait_for(lambda: "s1:start" in lines(marker), 30, what="the second step to start")
    second = stack.worker(**SLOW)

    # systemd's default stop signals the whole group; `kill <pid>` reaches the main process only.
    if whole_group:
        os.killpg(first.proc.pid, signal.SIGTERM)
    else:
        os.kill(first.proc.pid, signal.SIGTERM)
    assert exits(first, 30) < 8, (
        "the worker waits for the step in flight (2 s), not for its run (16 s)"
    )
    assert first.proc.returncode == 0, first.output()[-2000:]
    assert "released" in first.output(), first.output()[-2000:]

    status_becomes(run, "success", timeout=40)
    assert_each_step_ran_once(marker, 8)
    assert second.proc.poll() is None
    run.refresh_from_db()
    assert run.steps.count() == 8 and run.lease_owner == ""


def test_the_signals_of_one_stop_drain_in_either_order(
    stack: Stack, api: APIClient, tmp_path: Path
) -> None:
    marker = tmp_path / "effects"
    first = stack.worker(**SLOW)
    run = start(api, "slow-steps", {"marker": str(marker), **LONG_RUN})
    wait_for(lambda: "s1:start" in lines(marker), 30, what="the second step to start")
    stack.worker(**SLOW)
    # The main process's request may reach a pool process before the service manager's SIGTERM.
    for pid in pool_processes(first):
        os.kill(pid, signal.SIGUSR2)
    for pid in pool_processes(first):
        os.kill(pid, signal.SIGTERM)
    os.kill(first.proc.pid, signal.SIGTERM)
    assert exits(first, 30) < 8
    assert "released" in first.output() and "interrupted" not in first.output(), first.output()[
        -2000:
    ]
    status_becomes(run, "success", timeout=40)
    assert_each_step_ran_once(marker, 8)


def test_a_later_second_sigterm_stops_the_step_and_another_worker_continues(
    stack: Stack, api: APIClient, tmp_path: Path
) -> None:
    marker = tmp_path / "effects"
    first = stack.worker()
    run = start(api, "slow-steps", {"marker": str(marker), "count": 2, "seconds": 20})
    wait_for(lambda: "s0:start" in lines(marker), 30, what="the first step to start")
    os.killpg(first.proc.pid, signal.SIGTERM)
    # Past the five seconds in which signals count as one stop, with room for a busy machine to
    # handle the first one late.
    time.sleep(8)
    os.killpg(first.proc.pid, signal.SIGTERM)
    assert exits(first, 30) < 8, "asked again, the worker does not wait for the 20-second step"
    assert "interrupted" in first.output(), first.output()[-2000:]
    stack.worker()
    stack.beat()  # the sweeper requeues the run once its lease (3 s here) lapses
    status_becomes(run, "success", timeout=90)
    effects = lines(marker)
    assert effects.count("s0:start") == 2 and effects.count("s0") == 1, (
        f"the interrupted step ran again: {effects}"
    )


def test_an_idle_worker_stops_at_once_after_running_a_task(
    stack: Stack, api: APIClient, tmp_path: Path
) -> None:
    worker = stack.worker()
    run = start(api, "three-steps", {"marker": str(tmp_path / "effects")})
    status_becomes(run, "success")
    os.killpg(worker.proc.pid, signal.SIGTERM)
    assert exits(worker, 20) < 10
    assert worker.proc.returncode == 0, worker.output()[-2000:]


def blocked_signals(pid: int, tid: int) -> set[int]:
    status = Path(f"/proc/{pid}/task/{tid}/status").read_text()
    mask = int(
        next(line for line in status.splitlines() if line.startswith("SigBlk:")).split()[1], 16
    )
    return {n for n in range(1, 65) if mask & (1 << (n - 1))}


def test_during_a_pass_only_the_main_thread_takes_a_stop_signal(
    stack: Stack, api: APIClient, tmp_path: Path
) -> None:
    # Python runs handlers in the main thread only, when it next runs Python code: a stop
    # signal the kernel handed to the heartbeat thread left a main thread asleep in its step.
    marker = tmp_path / "effects"
    worker = stack.worker()
    start(api, "slow-steps", {"marker": str(marker), "count": 1, "seconds": 6})
    wait_for(lambda: "s0:start" in lines(marker), 30, what="the step to start")
    helpers = {
        (pid, int(tid))
        for pid in pool_processes(worker)
        for tid in os.listdir(f"/proc/{pid}/task")
        if int(tid) != pid
    }
    assert helpers, "a pass runs with its heartbeat thread beside the main thread"
    stop_signals = {signal.SIGINT, signal.SIGTERM, signal.SIGUSR2}
    for pid, tid in helpers:
        assert stop_signals <= blocked_signals(pid, tid), f"thread {tid} of pool process {pid}"


def test_the_span_export_thread_leaves_the_stop_signals_to_the_main_thread(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:9")  # nothing listens
    tracing._exporter.cache_clear()
    before = {thread.native_id for thread in threading.enumerate()}
    processor = tracing._exporter()
    try:
        started = [t.native_id for t in threading.enumerate() if t.native_id not in before]
        assert started, "the batch span processor starts its export thread"
        for tid in started:
            assert {signal.SIGINT, signal.SIGTERM, signal.SIGUSR2} <= blocked_signals(
                os.getpid(), tid
            )
        assert not signal.pthread_sigmask(signal.SIG_BLOCK, []), "the caller's mask is unchanged"
    finally:
        processor.shutdown()
        tracing._exporter.cache_clear()
