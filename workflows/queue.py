"""Sending run messages to the broker, always after the transaction that made them commits."""

from __future__ import annotations

import logging

from celery import current_app
from django.db import transaction

EXECUTE_RUN = "workflows.tasks.execute_run"

logger = logging.getLogger("keystroke.queue")


def enqueue_on_commit(run_pk: int) -> None:
    """Send the run's message once the run row is committed; a broker outage only delays it.

    The run row is the truth: if the message cannot be sent, the sweeper sends it again once
    the run has been queued for STALE_QUEUED_SECONDS, so the request that created the run
    still succeeds.
    """

    # A named function, not a functools.partial: Django's robust path logs the callback's
    # __qualname__, which a partial lacks, and that turned a broker outage into a 500.
    def send_execute_run() -> None:
        try:
            # By task name, so the store need not import the tasks module that imports it.
            current_app.send_task(EXECUTE_RUN, args=[run_pk])
        except Exception as exc:  # any broker failure: the sweeper owns the retry
            logger.warning(
                "run %s stays queued: the broker refused its message (%s); the sweeper resends it", run_pk, exc
            )

    transaction.on_commit(send_execute_run, robust=True)
