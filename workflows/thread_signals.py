"""Helper threads of a worker process leave the stop signals to the main thread.

Python runs a signal handler in the main thread, once that thread runs Python code again. The
kernel may hand a signal sent to the process to any thread that does not block it; given to the
heartbeat thread, it left a main thread asleep in a step (``time.sleep``, a socket read) unaware
until the step returned, so on a busy machine a second stop request waited for the whole step.
A thread inherits the signal mask of the thread that starts it, so the helpers are started with
the stop signals blocked. Step threads are not: a subprocess a step starts would inherit the
mask, and the main thread looks at its signals every quarter second while they run.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager

# Sent by a worker's main process to its pool processes when it begins a warm shutdown.
DRAIN_SIGNAL = signal.SIGUSR2
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, DRAIN_SIGNAL}


@contextmanager
def stop_signals_blocked() -> Iterator[None]:
    """Threads started inside inherit a mask that blocks the stop signals."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
