"""Celery's consumer, made to outlive a broker restart.

When a Redis restart cuts the connection while tasks run, Celery 5.7 and kombu 5.7 fail in
two places, both with ``AttributeError: 'NoneType' object has no attribute 'hostname'``:
the consumer collects the lost connection and then closes it, and the close restores the
unacknowledged messages through a transport whose client the collect already cleared; and a
task that finishes after the reconnect is acknowledged on that old channel. Celery does not
count AttributeError as a connection error, so either one ends the worker with
"Unrecoverable error", and nothing runs until someone restarts it.

Here the failing clean-up is logged and the consumer reconnects as usual, and a task's
acknowledgement counts AttributeError among the connection errors it may meet, so a stale
acknowledgement is logged and dropped instead of ending the worker; anywhere else the error
still ends it. The message it could not acknowledge is delivered again, which is harmless: a
run is claimed by a conditional update, so a duplicate message finds nothing to do.
"""

from __future__ import annotations

import logging

from celery.worker.consumer import Consumer as CeleryConsumer

logger = logging.getLogger("keystroke.worker")


class Consumer(CeleryConsumer):
    def update_strategies(self) -> None:
        # Each task request takes the errors its acknowledgement may meet from the consumer
        # while its strategy is built: widen them for that moment only.
        errors: tuple[type[BaseException], ...] = getattr(self, "connection_errors", ())
        self.connection_errors = (*errors, AttributeError)
        try:
            super().update_strategies()
        finally:
            self.connection_errors = errors

    def on_connection_error_after_connected(self, exc: Exception) -> None:
        try:
            super().on_connection_error_after_connected(exc)
        except Exception:
            logger.warning(
                "cleaning up the lost broker connection failed; reconnecting anyway", exc_info=True
            )
            self.connection = None
