"""Sending run messages to the broker, always after the transaction that made them commits."""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction

EXECUTE_RUN = "workflows.tasks.execute_run"
# One quick retry, not Celery's default three: the request waits for the publish, and a message
# that cannot be sent is the sweeper's to send, so a broker that hangs must not hold the request.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

logger = logging.getLogger("keystroke.queue")


def enqueue_on_commit(run_pk: int) -> None:
    """Send the run's message once the run row is committed; a broker outage only delays it.

    The run row is the truth: if the message cannot be sent, the sweeper sends it again once
    the run has been queued for STALE_QUEUED_SECONDS, so the request that created the run
    still succeeds.
    """

    # Failures are caught here rather than by on_commit(robust=True): Django's robust path logs
    # the callback's __qualname__, and the functools.partial once used here had none, which
    # turned a broker outage into a 500 for a run that had been created.
    def send_execute_run() -> None:
        try:
            # By task name, so the store need not import the tasks module that imports it.
            current_app.send_task(EXECUTE_RUN, args=[run_pk], retry_policy=PUBLISH_RETRY)
        except Exception as exc:  # any broker failure: the sweeper owns the retry
            logger.warning(
                "run %s stays queued: the broker refused its message (%s); the sweeper resends it",
                run_pk,
                exc,
            )

    transaction.on_commit(send_execute_run)
