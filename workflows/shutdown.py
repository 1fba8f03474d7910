"""A warm shutdown that hands runs back instead of holding them until their lease lapses.

Celery's warm shutdown (SIGTERM) stops taking messages and waits for the tasks in hand; a
run can take hours, and a process manager kills the worker long before that, leaving the run
to the sweeper once its lease lapses. Here a pool process that is asked to stop while it runs
a pass lets the step in flight finish and be recorded, then releases the run to the queue,
where another worker takes it at once.

A stop reaches a pool process as SIGTERM from the service manager (which signals every
process of the worker), as SIGUSR2 from the main process when only that one got the SIGTERM,
or both, in either order. Both within a few seconds are one request. A SIGTERM that comes
later, while the step is still running, stops the pass at once (WorkerStopping). A pool
process that runs no pass ends on SIGTERM as before, and so do the main process and the solo
and thread pools, which this leaves alone.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from billiard.process import active_children
from celery.signals import task_prerun, worker_process_init, worker_shutting_down

from .errors import WorkerStopping
from .runner import draining, executing
from .thread_signals import DRAIN_SIGNAL

# Signals of one stop arrive this close together; a SIGTERM after that is a second request.
SAME_STOP_SECONDS = 5.0

Handler = Callable[[int, FrameType | None], Any] | int | None


class _Process:
    in_pool = False  # set in prefork pool processes only
    drain_began: float | None = None
    previous_sigterm: Handler = signal.SIG_DFL


def _begin_drain() -> None:
    if _Process.drain_began is None:
        _Process.drain_began = time.monotonic()
    draining.set()


def _on_drain_signal(signum: int, frame: FrameType | None) -> None:
    _begin_drain()


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    if not executing.is_set():
        _stop_as_before(signum, frame)
    elif (
        _Process.drain_began is None or time.monotonic() - _Process.drain_began < SAME_STOP_SECONDS
    ):
        _begin_drain()
    else:
        raise WorkerStopping


def _stop_as_before(signum: int, frame: FrameType | None) -> None:
    previous = _Process.previous_sigterm
    if callable(previous):
        previous(signum, frame)  # billiard's handler: a clean exit of the pool process
    else:
        signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGTERM)


@worker_process_init.connect
def _in_pool_process(**_: Any) -> None:
    _Process.in_pool = True
    signal.signal(DRAIN_SIGNAL, _on_drain_signal)


@task_prerun.connect
def _drain_on_sigterm(**_: Any) -> None:
    # Installed before a task rather than when the process starts: billiard sets its own
    # SIGTERM handler after Celery's process-init hooks have run.
    if not _Process.in_pool or threading.current_thread() is not threading.main_thread():
        return
    current = signal.getsignal(signal.SIGTERM)
    if current is not _on_sigterm:
        _Process.previous_sigterm = current
        signal.signal(signal.SIGTERM, _on_sigterm)


@worker_shutting_down.connect
def _tell_the_pool(how: str = "", **_: Any) -> None:
    if how != "Warm":
        return
    for child in active_children():
        try:
            os.kill(child.pid, DRAIN_SIGNAL)
        except ProcessLookupError:  # it has just exited
            pass
