"""Bulk job rows, and the batch a job works through in one transaction.

A batch locks only the rows it changes (``SELECT … FOR UPDATE OF history_run``, at most
BATCH_SIZE of them, found from the job's cursor in primary key order) and commits before the
next batch starts, so no transaction spans the job and the table is never locked: workers,
History and other jobs go on meanwhile.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone

from history.access import Actor
from history.bulk import Preview, runs_to_act_on
from history.models import BulkJob, Run

from .. import queue
from ..conf import engine_settings
from .runs import cancel_tree_txn, retry_run_txn

BATCH_SIZE = 200
# What a batch reads of each run: enough to change it, to tell its parent, and (for a retry,
# which keeps caught failures on runs numbered per branch) its numbering.
_BATCH_COLUMNS = ("id", "uid", "slug", "status", "attempt", "parent_id", "step_numbering")


def create_job_txn(actor: Actor, preview: Preview, reason: str) -> BulkJob:
    """A queued job for ``preview``; its first batch is sent after commit."""
    job = BulkJob.objects.create(
        organization=actor.organization,
        action=preview.action,
        filter=preview.filter,
        reason=reason,
        count=preview.count,
        upper_pk=preview.upper_pk,
        created_by=actor.label,
        created_by_user=actor.user,
        created_by_api_key=actor.api_key,
    )
    queue.enqueue_bulk_batch_on_commit(job.pk, job.cursor)
    return job


def lock_job_txn(job_pk: int) -> BulkJob | None:
    """The job, locked until the transaction ends: a stop waits for the batch under way."""
    return BulkJob.objects.select_for_update().filter(pk=job_pk).first()


def batch_txn(job: BulkJob) -> list[Run]:
    """The next runs the job applies to (the filter and the action's states read again), locked."""
    runs = runs_to_act_on(job.organization_id, job.action, job.filter)
    return list(
        runs.filter(pk__gt=job.cursor, pk__lte=job.upper_pk)
        .order_by("pk")
        .only(*_BATCH_COLUMNS)
        .select_for_update(of=("self",))[:BATCH_SIZE]
    )


def act_txn(action: str, run: Run, timeouts: dict[str, timedelta | None]) -> bool:
    """Cancel (with its descendants) or retry one run of a batch; False if its state refuses."""
    if action == BulkJob.Action.CANCEL:
        return cancel_tree_txn(run)
    return retry_run_txn(run, timeouts.get(run.slug))


def record_batch_txn(job: BulkJob, runs: list[Run], changed: int) -> bool:
    """Count a batch and move the cursor past it; True when another batch follows (it is sent
    after commit), False when this one finished the job.
    """
    now = timezone.now()
    more = len(runs) == BATCH_SIZE
    cursor = runs[-1].pk if more else job.upper_pk
    values: dict[str, Any] = {
        "status": BulkJob.Status.RUNNING if more else BulkJob.Status.FINISHED,
        "cursor": cursor,
        "processed": F("processed") + len(runs),
        "changed": F("changed") + changed,
        "skipped": F("skipped") + len(runs) - changed,
        "batches": F("batches") + 1,
        "started_at": job.started_at or now,
        "updated_at": now,
    }
    if not more:
        # Counted runs the batches never reached had left the filter or the action's states
        # first: they were skipped too, so changed + skipped accounts for every counted run.
        values |= {
            "finished_at": now,
            "skipped": Greatest(
                F("skipped") + len(runs) - changed, job.count - job.changed - changed
            ),
        }
    BulkJob.objects.filter(pk=job.pk).update(**values)
    if more:
        queue.enqueue_bulk_batch_on_commit(job.pk, cursor)
    return more


def stop_job_txn(job_pk: int, stopped_by: str) -> bool:
    """Stop a queued or running job; False if it had already ended."""
    now = timezone.now()
    return bool(
        BulkJob.objects.filter(pk=job_pk, status__in=BulkJob.ACTIVE).update(
            status=BulkJob.Status.STOPPED, stopped_by=stopped_by, finished_at=now, updated_at=now
        )
    )


def fail_job(job_pk: int, error: str) -> None:
    now = timezone.now()
    BulkJob.objects.filter(pk=job_pk, status__in=BulkJob.ACTIVE).update(
        status=BulkJob.Status.FAILED, error=error[:2000], finished_at=now, updated_at=now
    )


def stale_jobs(now: datetime, limit: int = 100) -> list[tuple[int, int]]:
    """Active jobs no batch has moved for a while: their message was lost, or its worker died."""
    stale_before = now - timedelta(seconds=engine_settings()["STALE_QUEUED_SECONDS"])
    jobs = BulkJob.objects.filter(status__in=BulkJob.ACTIVE, updated_at__lt=stale_before)
    return list(jobs.order_by("updated_at").values_list("pk", "cursor")[:limit])


def resend_stale_job(job_pk: int, cursor: int, now: datetime) -> bool:
    """Send the job's next batch again; a batch that was only slow finds its cursor moved."""
    if not BulkJob.objects.filter(pk=job_pk, cursor=cursor, status__in=BulkJob.ACTIVE).update(
        updated_at=now
    ):
        return False
    queue.enqueue_bulk_batch_on_commit(job_pk, cursor)
    return True
