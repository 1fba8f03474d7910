"""Bulk cancel and retry: every run a filter matches, in the background, batch by batch.

Starting a job counts the runs and writes one row and one audit event (the filter, the reason,
the count); the request ends there, whatever the count. The job's batches run on the workers:
each one, in a transaction of its own, locks the job's row, reads the next BATCH_SIZE runs past
its cursor (by primary key, so the whole job reads each run once, through the primary key
index), applies the filter and the action's states again, changes them one conditional UPDATE at
a time as a single cancel or retry does, moves the cursor and commits; the next batch is a new
message. So a job over 100,000 runs holds no request open and no lock but on the 200 runs of
the batch under way, and a stop takes effect between two batches. A run that no longer
qualifies when its batch comes is skipped and counted; runs created after the job started
(past its ``upper_pk``) are never touched.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from history.access import Actor
from history.bulk import DONE, WHICH, BulkInputError, parse_reason, preview
from history.models import BulkJob

from . import store
from .errors import InvalidState
from .registry import registry

logger = logging.getLogger("keystroke.bulk")


@transaction.atomic(durable=True)
def start_bulk(actor: Actor, action: Any, raw_filter: Any, reason: Any) -> BulkJob:
    """A queued job cancelling or retrying what ``raw_filter`` matches, audited once.

    Raises BulkInputError naming the field: an unknown action or filter, no reason, or no run
    the action applies to.
    """
    found = preview(actor.organization.pk, action, raw_filter)
    reason = parse_reason(reason)
    if not found.count:
        if not found.matching:
            problem = "No run matches this filter: check it with GET /api/runs and the same query."
        else:
            problem = (
                f"None of the {found.matching} runs matching this filter can be "
                f"{DONE[found.action]}: only {WHICH[found.action]} runs can."
            )
        raise BulkInputError("filter", problem)
    job = store.bulk.create_job_txn(actor, found, reason)
    actor.audit(
        f"runs.bulk_{found.action}",
        job.public_id,
        filter=found.filter,
        reason=reason,
        count=found.count,
    )
    return job


@transaction.atomic(durable=True)
def stop_bulk(actor: Actor, job: BulkJob) -> BulkJob:
    """Stop a job: the batch under way commits, no other starts. Raises InvalidState when the
    job already ended."""
    if not store.bulk.stop_job_txn(job.pk, actor.label):
        job.refresh_from_db()
        raise InvalidState(
            f"Bulk job {job.public_id} is {job.status}; only a queued or running job can be "
            "stopped."
        )
    job.refresh_from_db()
    actor.audit("runs.bulk_stop", job.public_id, changed=job.changed, skipped=job.skipped)
    return job


def run_batch(job_pk: int, cursor: int) -> bool:
    """Do the job's batch from ``cursor``; True when another follows (its message is sent).

    A message whose cursor the job has moved past (a duplicate, or one the sweeper resent) and
    a job that was stopped or finished do nothing.
    """
    with transaction.atomic(durable=True):
        job = store.bulk.lock_job_txn(job_pk)
        if job is None or not job.is_active or job.cursor != cursor:
            return False
        runs = store.bulk.batch_txn(job)
        timeouts = {}
        for slug in {run.slug for run in runs}:
            workflow = registry.workflow(slug)
            timeouts[slug] = workflow.timeout if workflow is not None else None
        changed = sum(store.bulk.act_txn(job.action, run, timeouts) for run in runs)
        return store.bulk.record_batch_txn(job, runs, changed)


def fail(job_pk: int, exc: BaseException) -> None:
    """A batch that failed on every attempt ends the job failed, with the error, for people."""
    logger.error("bulk job %s failed: %s", job_pk, exc)
    store.bulk.fail_job(job_pk, f"{type(exc).__name__}: {exc}")


def resend_stale() -> int:
    """Send again the batches of active jobs that stopped moving (lost message, dead worker)."""
    now = timezone.now()
    return sum(
        store.bulk.resend_stale_job(pk, cursor, now) for pk, cursor in store.bulk.stale_jobs(now)
    )
