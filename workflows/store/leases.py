"""A worker's hold on a run: taking and renewing its lease, and how a pass ends (finished,
suspended, or handed back to the queue).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from history.fingerprints import fingerprint_of
from history.models import Run, Step, UsageItem

from .. import metrics, queue
from ..conf import engine_settings
from ..engine import Completed, Failed, StepRecord, Suspended
from . import counters, dialect, steps
from .runs import cancel_descendants_txn
from .traces import Trace, save_trace_txn
from .wakeups import settle_parent_step_txn

# A queued run of a workflow paused in its organization is held; one whose worker died goes on.
_CLAIMABLE = """
WHERE id = %s AND (
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
# one transaction where a claim and a SELECT were two of each.
_CLAIM_SQL = f"""
WITH claimed AS ({_TAKE} {_CLAIMABLE} RETURNING {_COLUMNS})
SELECT claimed.*, ({steps.LOG_SQL} WHERE s.run_id = claimed.id) FROM claimed
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
    values = list(row[:-1])
    for i, field in _CONVERTERS:
        values[i] = field.from_db_value(values[i], None, connection)
    run = Run.from_db(connection.alias, [f.attname for f in _FIELDS], values)
    return Claim(run, steps.log_from_json(row[-1]))


def renew_lease(run_pk: int, owner: str) -> bool:
    lease = timezone.now() + timedelta(seconds=engine_settings()["LEASE_SECONDS"])
    return bool(
        Run.objects.filter(pk=run_pk, lease_owner=owner, status=Run.Status.RUNNING).update(
            lease_expires_at=lease
        )
    )


def _step_count() -> Coalesce:
    steps = (
        Step.objects.filter(run=OuterRef("pk")).values("run").annotate(n=Count("id")).values("n")
    )
    return Coalesce(Subquery(steps), 0)


@transaction.atomic
def conclude_run(
    run: Run,
    owner: str,
    outcome: Completed | Failed | Suspended,
    trace: Trace | None = None,
    timings: metrics.StepTimings | None = None,
) -> None:
    """Record how a pass ended, with its trace; a run woken while it was suspending goes back to the
    queue.
    """
    if trace:
        save_trace_txn(run.pk, trace)
    counts = timings.counts() if timings else []
    if isinstance(outcome, Suspended):
        if not suspend_run(run, owner, outcome):
            release_run_txn(run.pk, owner)
    elif finish_run_txn(run, owner, outcome):
        counts += metrics.run_finished(
            run.slug, "success" if isinstance(outcome, Completed) else "failed"
        )
    counters.add_txn(counts)  # the whole pass in one statement


def finish_run_txn(run: Run, owner: str, outcome: Completed | Failed) -> bool:
    now = timezone.now()
    started = run.started_at or now
    status = Run.Status.SUCCESS if isinstance(outcome, Completed) else Run.Status.FAILED
    updated = Run.objects.filter(pk=run.pk, lease_owner=owner, status=Run.Status.RUNNING).update(
        status=status,
        output=outcome.output if isinstance(outcome, Completed) else None,
        error=outcome.error if isinstance(outcome, Failed) else None,
        error_fingerprint=fingerprint_of(outcome.error) if isinstance(outcome, Failed) else "",
        finished_at=now,
        duration_ms=_ms(now - started),
        queue_ms=_ms(started - run.queued_at),
        lease_owner="",
        lease_expires_at=None,
        wake_at=None,
        step_count=_step_count(),
    )
    if updated:
        UsageItem.objects.create(
            run_id=run.pk, kind=UsageItem.Kind.DURATION, quantity=_ms(now - started), unit="ms"
        )
        if run.kind == Run.Kind.AGENT:
            save_conversation_txn(run.pk)
        cancel_descendants_txn(run.pk)  # children still waiting or running have no one to report to
        if run.parent_id:
            settle_parent_step_txn(run, status, outcome)
    return bool(updated)


def save_conversation_txn(run_pk: int) -> None:
    """Copy an agent run's conversation from its agent step (its output, or the error it ended
    with).
    """
    step = Step.objects.filter(run_id=run_pk, kind=Step.Kind.AGENT, parent_position=None).order_by(
        "position"
    )
    row = step.values("output", "error").first()
    if row is None:
        return
    if row["output"]:
        messages = row["output"].get("conversation", [])
    else:
        causes = (row["error"] or {}).get("attempts") or [{}]
        messages = causes[-1].get("conversation", [])
    Run.objects.filter(pk=run_pk).update(conversation=messages, message_count=len(messages))


def suspend_run(run: Run, owner: str, outcome: Suspended) -> bool:
    status = Run.Status.WAITING if outcome.waits_on_others else Run.Status.SLEEPING
    # wakeups unchanged since the claim: no hook resume or child completion slipped in.
    return bool(
        Run.objects.filter(
            pk=run.pk, lease_owner=owner, status=Run.Status.RUNNING, wakeups=run.wakeups
        ).update(
            status=status,
            wake_at=outcome.wake_at,
            lease_owner="",
            lease_expires_at=None,
            step_count=_step_count(),
        )
    )


@transaction.atomic
def release_run(
    run_pk: int, owner: str, trace: Trace | None = None, timings: metrics.StepTimings | None = None
) -> bool:
    """Give a run we still hold back to the queue (it was woken, or a step was settled
    meanwhile).
    """
    if trace:
        save_trace_txn(run_pk, trace)
    if timings:
        counters.add_txn(timings.counts())  # the steps this pass settled before it stopped
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


def _ms(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))
