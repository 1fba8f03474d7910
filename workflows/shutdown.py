"""A warm shutdown that hands runs back instead of holding them until their lease lapses.

Celery's warm shutdown (SIGTERM) stops taking messages and waits for the tasks in hand; a
run can take hours, and a process manager kills the worker long before that, leaving the run
to the sweeper once its lease lapses. Here the first SIGTERM a pool process receives lets
the step in flight finish and be recorded, then releases the run to the queue, where another
worker takes it at once. A second SIGTERM interrupts the step in flight (it runs again on the
next worker, as steps run at least once) and releases the run just the same; an idle process
ends as before.

A service manager usually signals every process of the worker; ``kill <pid>`` reaches only
the main one, which then asks its pool processes to drain with SIGUSR2 (a second SIGTERM
would end them instead when they had the first one too).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from billiard.process import active_children
from celery.signals import task_prerun, worker_process_init, worker_shutting_down

from .errors import RunStopped
from .runner import draining, executing

DRAIN_SIGNAL = signal.SIGUSR2
_previous_sigterm: Callable[[int, FrameType | None], Any] | int | None = None


def _drain(signum: int, frame: FrameType | None) -> None:
    if signum != signal.SIGTERM or not draining.is_set():
        draining.set()
    elif executing.is_set():
        raise RunStopped  # asked again: stop the pass now; the runner releases the run
    elif callable(_previous_sigterm):
        _previous_sigterm(signum, frame)  # asked again while idle: end as billiard's handler does


@worker_process_init.connect
def _drain_on_request(**_: Any) -> None:
    signal.signal(DRAIN_SIGNAL, _drain)


@task_prerun.connect
def _drain_on_sigterm(**_: Any) -> None:
    # Installed before a task rather than when the process starts: billiard sets its own
    # SIGTERM handler after Celery's process-init hooks have run.
    global _previous_sigterm
    current = signal.getsignal(signal.SIGTERM)
    if current is not _drain and threading.current_thread() is threading.main_thread():
        _previous_sigterm = current
        signal.signal(signal.SIGTERM, _drain)


@worker_shutting_down.connect
def _tell_the_pool(how: str = "", **_: Any) -> None:
    if how != "Warm":
        return
    for child in active_children():
        try:
            os.kill(child.pid, DRAIN_SIGNAL)
        except ProcessLookupError:  # it has just exited
            pass
