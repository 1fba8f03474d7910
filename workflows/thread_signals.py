"""Threads the engine starts leave the stop signals to the main thread.

Python runs a signal handler in the main thread, once that thread runs Python code again. The
kernel may hand a signal sent to the process to any thread that does not block it; given to a
helper thread, it left a main thread asleep in a step (``time.sleep``, a socket read) unaware
until the step returned, so on a busy machine a second stop request waited for the whole step.
"""

from __future__ import annotations

import signal

# Sent by a worker's main process to its pool processes when it begins a warm shutdown.
DRAIN_SIGNAL = signal.SIGUSR2
STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM, DRAIN_SIGNAL}


def leave_stop_signals_to_the_main_thread() -> None:
    """Called first thing in a thread the engine starts."""
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
