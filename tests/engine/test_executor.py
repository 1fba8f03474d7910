"""Where step code runs: alone in the caller's thread, side by side in threads, within timeouts."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from workflows.engine.attempts import Attempt
from workflows.engine.executor import StepExecutor
from workflows.errors import RunStopped


def clock() -> datetime:
    return datetime.now(UTC)


def attempt(output: str, seconds: float = 0, threads: list[str] | None = None) -> Attempt:
    if threads is not None:
        threads.append(threading.current_thread().name)
    time.sleep(seconds)
    return Attempt(True, output=output)


class Flag:
    def __init__(self) -> None:
        self.set = False

    def is_set(self) -> bool:
        return self.set


def test_a_lone_step_without_a_timeout_runs_in_the_callers_thread() -> None:
    threads: list[str] = []
    [result] = StepExecutor().run(
        [(lambda: attempt("a", 0, threads), None, "step:a#0")], None, clock
    )
    assert result.output == "a"
    assert threads == [threading.current_thread().name]


def test_steps_of_one_round_run_side_by_side_and_come_back_in_order() -> None:
    threads: list[str] = []
    calls = [
        (lambda: attempt("slow", 0.2, threads), None, "step:slow#0"),
        (lambda: attempt("fast", 0, threads), None, "step:fast#0"),
    ]
    results = StepExecutor(max_workers=2).run(calls, None, clock)
    assert [r.output for r in results] == ["slow", "fast"]
    assert all(name.startswith("keystroke-step") for name in threads)


def test_a_step_past_its_timeout_fails_with_step_timeout_and_the_others_finish() -> None:
    calls = [
        (lambda: attempt("late", 2), timedelta(seconds=0.3), "step:late#0"),
        (lambda: attempt("ok", 0), None, "step:ok#0"),
    ]
    late, ok = StepExecutor(max_workers=2).run(calls, None, clock)
    assert not late.ok and late.detail["type"] == "StepTimeout"
    assert late.detail["message"] == "step:late#0 ran longer than its timeout of 0.3s."
    assert ok.ok and ok.output == "ok"


def test_a_stop_while_steps_run_stops_the_round() -> None:
    stop = Flag()
    timer = threading.Timer(0.1, lambda: setattr(stop, "set", True))
    timer.start()
    try:
        with pytest.raises(RunStopped):
            StepExecutor().run([(lambda: attempt("x", 1), timedelta(seconds=5), "s")], stop, clock)
    finally:
        timer.cancel()
