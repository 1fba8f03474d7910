"""A worker's hold on a run: taking and renewing its lease, and handing it back to the queue
(``ending`` records how a pass ends otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.utils import timezone

from history.models import Run

from .. import metrics, queue
from ..conf import engine_settings
from ..engine import StepRecord
from . import counters, dialect, steps
from .traces import Trace, save_trace_txn

# A queued run of a workflow paused in its organization is held; one whose worker died goes on.
# A Celery task's run is only recorded (workflows.task_recording): the engine never takes one.
_CLAIMABLE = """
WHERE id = %s AND kind <> 'task' AND (
    (status = 'queued' AND NOT EXISTS (
        SELECT 1 FROM history_workflowpause p
        WHERE p.organization_id = history_run.organization_id AND p.slug = history_run.slug))
    OR (status = 'running' AND lease_expires_at < %s))
"""
_TAKE = (
    "UPDATE history_run SET status = 'running', lease_owner = %s, lease_expires_at = %s, "
    "started_at = COALESCE(started_at, %s)"
)
# Columns a pass never reads, left in the database.
_UNREAD = ("output", "error", "conversation", "trigger_raw")
_FIELDS = [f for f in Run._meta.concrete_fields if f.name not in _UNREAD]
_COLUMNS = ", ".join(f'"{f.column}"' for f in _FIELDS)
# On PostgreSQL the claim reads the run's step log in the same statement: one round trip and
# one transaction where a claim and a SELECT were two of each. The log is read as the statement
# began; the run's row, as it was after any writer the UPDATE waited for (a hook answered, a
# child finished). So the statement also says whether the row it began with was already the
# queued run it took, with the same wake-ups: otherwise (someone woke it meanwhile, or the run
# is taken over from a worker whose lease lapsed, which may still be recording) the log is read
# again, after the claim.
_CLAIM_SQL = f"""
WITH claimed AS ({_TAKE} {_CLAIMABLE} RETURNING {_COLUMNS})
SELECT claimed.*,
       (SELECT r.status = 'queued' AND r.wakeups = claimed.wakeups
        FROM history_run r WHERE r.id = claimed.id),
       ({steps.LOG_SQL} WHERE s.run_id = claimed.id)
FROM claimed
"""
_CLAIM_SQL_PORTABLE = f"{_TAKE} {_CLAIMABLE} RETURNING {_COLUMNS}"
_CONVERTERS = [(i, f) for i, f in enumerate(_FIELDS) if hasattr(f, "from_db_value")]


@dataclass(frozen=True)
class Claim:
    """A run a worker holds the lease on, with the steps recorded so far."""

    run: Run
    steps: dict[int, StepRecord]


def claim_run(run_pk: int, owner: str) -> Claim | None:
    """Take the lease on a queued run (or one whose worker died); None if it is not ours to run,
    or its workflow is paused.
    """
    now = timezone.now()
    lease = now + timedelta(seconds=engine_settings()["LEASE_SECONDS"])
    params = [owner, lease, now, run_pk, now]
    if not dialect.on_postgresql():
        rows = list(Run.objects.raw(_CLAIM_SQL_PORTABLE, params))
        return Claim(rows[0], steps.log_of(run_pk)) if rows else None
    row = dialect.fetch_prepared(_CLAIM_SQL, params)
    if row is None:
        return None
    values = list(row[:-2])
    for i, field in _CONVERTERS:
        values[i] = field.from_db_value(values[i], None, connection)
    run = Run.from_db(connection.alias, [f.attname for f in _FIELDS], values)
    as_it_began, log = row[-2:]
    return Claim(run, steps.log_from_json(log) if as_it_began else steps.log_of(run_pk))


def renew_lease(run_pk: int, owner: str) -> bool:
    lease = timezone.now() + timedelta(seconds=engine_settings()["LEASE_SECONDS"])
    return bool(
        Run.objects.filter(pk=run_pk, lease_owner=owner, status=Run.Status.RUNNING).update(
            lease_expires_at=lease
        )
    )


@dataclass(frozen=True)
class PassEnd:
    """What the worker knows when a pass ends."""

    steps: int  # step rows the run has: those read with the claim and those this pass added
    children: bool = False  # a step of the run started a child run
    trace: Trace | None = None
    timings: metrics.StepTimings | None = None
    # Finished steps whose records waited for this write (step_commits "deferred", "batched").
    pending: tuple[StepRecord, ...] = ()


def record_pending_txn(run: Run, owner: str, end: PassEnd) -> None:
    """The waiting steps' records, in the transaction that ends the pass; the run's own UPDATE
    after them finds whether the run was still ours."""
    for record in end.pending:
        steps.record_step(run.pk, owner, record)


@transaction.atomic
def release_run(run_pk: int, owner: str, end: PassEnd) -> bool:
    """Give a run we still hold back to the queue (it was woken, or a step was settled
    meanwhile, or the worker is shutting down), with what the pass did so far.
    """
    for record in end.pending:
        steps.record_step(run_pk, owner, record)
    if end.trace:
        save_trace_txn(run_pk, end.trace)
    if end.timings:
        counters.add_txn(end.timings.counts())  # the steps this pass settled before it stopped
    return release_run_txn(run_pk, owner)


def release_run_txn(run_pk: int, owner: str) -> bool:
    now = timezone.now()
    updated = Run.objects.filter(pk=run_pk, lease_owner=owner, status=Run.Status.RUNNING).update(
        status=Run.Status.QUEUED,
        lease_owner="",
        lease_expires_at=None,
        queued_at=now,
        enqueued_at=now,
    )
    if updated:
        queue.enqueue_on_commit(run_pk)
    return bool(updated)
