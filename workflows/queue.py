"""Sending run messages (and bulk jobs' batches) to the broker, always after the transaction that
made them commits.

The message is the ``execute_run`` task of ``workflows.tasks``. That task drives the runner,
and the runner queues runs (a child, a woken parent, a run handed back), so this module
cannot import it without a cycle: ``WorkflowsConfig.ready`` hands the task over
(``send_with``) as every process starts, before any run can be queued.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

# One quick retry, not Celery's default three: the request waits for the publish, and a message
# that cannot be sent is the sweeper's to send, so a broker that hangs must not hold the request.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}

logger = logging.getLogger("keystroke.queue")

_execute_run: Any = None  # the Celery task, once handed over
_bulk_batch: Any = None


def send_with(task: Any, bulk_batch: Any) -> None:
    """Send run messages as ``task`` (``workflows.tasks.execute_run``), and bulk jobs' batches
    as ``bulk_batch`` (``workflows.tasks.run_bulk_batch``).
    """
    global _execute_run, _bulk_batch
    _execute_run, _bulk_batch = task, bulk_batch


def enqueue_bulk_batch_on_commit(job_pk: int, cursor: int) -> None:
    """Send the job's batch from ``cursor`` once committed; a lost message is the sweeper's."""
    task = _bulk_batch
    if task is None:
        raise RuntimeError("No task runs bulk batches: Django's apps are not ready.")

    def send_bulk_batch() -> None:
        try:
            task.apply_async(args=[job_pk, cursor], retry_policy=PUBLISH_RETRY)
        except Exception as exc:  # any broker failure: the sweeper resends a job that stalls
            logger.warning("bulk job %s waits: the broker refused its batch (%s)", job_pk, exc)

    transaction.on_commit(send_bulk_batch)


def enqueue_on_commit(run_pk: int) -> None:
    """Send the run's message once the run row is committed; a broker outage only delays it.

    The run row is the truth: if the message cannot be sent, the sweeper sends it again once
    the run has been queued for STALE_QUEUED_SECONDS, so the request that created the run
    still succeeds.
    """
    task = _execute_run
    if task is None:
        raise RuntimeError(
            "No task sends run messages: Django's apps are not ready (WorkflowsConfig.ready "
            "hands workflows.tasks.execute_run to workflows.queue)."
        )

    # Failures are caught here rather than by on_commit(robust=True): Django's robust path logs
    # the callback's __qualname__, and the functools.partial once used here had none, which
    # turned a broker outage into a 500 for a run that had been created.
    def send_execute_run() -> None:
        try:
            task.apply_async(args=[run_pk], retry_policy=PUBLISH_RETRY)
        except Exception as exc:  # any broker failure: the sweeper owns the retry
            logger.warning(
                "run %s stays queued: the broker refused its message (%s); the sweeper resends it",
                run_pk,
                exc,
            )

    transaction.on_commit(send_execute_run)
