"""How a pass ends: the run finished (success or failure) or suspended, with the pass's trace and
counts, in one transaction.

On PostgreSQL a finished run of the common kind (no parent, no child, not an agent) is one
prepared statement: the run's row, its duration line, the pass's counts and its trace.
"""

from __future__ import annotations

import json
from contextlib import nullcontext
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from history.fingerprints import fingerprint_of
from history.models import Run, Step, UsageItem

from .. import metrics
from ..engine import Completed, Failed, Suspended
from . import counters, dialect
from .leases import PassEnd, record_pending_txn, release_run_txn
from .runs import cancel_descendants_txn
from .traces import TRACE_CTES, Trace, save_trace_txn, trace_params
from .wakeups import settle_parent_step_txn


def conclude_run(
    run: Run, owner: str, outcome: Completed | Failed | Suspended, end: PassEnd
) -> None:
    """Record how a pass ended, with its trace; a run woken while it was suspending goes back to the
    queue.
    """
    counts = end.timings.counts() if end.timings else []
    if isinstance(outcome, Suspended):
        with transaction.atomic():
            record_pending_txn(run, owner, end)
            if end.trace:
                save_trace_txn(run.pk, end.trace)
            if not _suspend_txn(run, owner, outcome, end.steps):
                release_run_txn(run.pk, owner)
            counters.add_txn(counts)
        return
    finish = _Finish(run, owner, outcome, end.steps)
    more = run.kind == Run.Kind.AGENT or run.parent_id is not None or end.children or end.pending
    with transaction.atomic() if more or not dialect.on_postgresql() else nullcontext():
        record_pending_txn(run, owner, end)
        if dialect.on_postgresql():
            finished = finish.in_one_statement(counts, end.trace)
        else:
            finished = finish.portable(counts, end.trace)
        if finished:
            _after_finish_txn(run, finish.status, outcome, end.children)


class _Finish:
    """The UPDATE that ends a run, said once for both dialects."""

    def __init__(self, run: Run, owner: str, outcome: Completed | Failed, steps: int) -> None:
        self.run, self.owner = run, owner
        self.now = timezone.now()
        started = run.started_at or self.now
        self.duration = _ms(self.now - started)
        self.status = Run.Status.SUCCESS if isinstance(outcome, Completed) else Run.Status.FAILED
        self.values: dict[str, Any] = {
            "status": self.status,
            "output": outcome.output if isinstance(outcome, Completed) else None,
            "error": outcome.error if isinstance(outcome, Failed) else None,
            "error_fingerprint": fingerprint_of(outcome.error)
            if isinstance(outcome, Failed)
            else "",
            "finished_at": self.now,
            "duration_ms": self.duration,
            "queue_ms": _ms(started - run.queued_at),
            "lease_owner": "",
            "lease_expires_at": None,
            "wake_at": None,
            "step_count": steps,
        }
        self.finished_counts = metrics.run_finished(
            run.slug, "success" if isinstance(outcome, Completed) else "failed"
        )

    def in_one_statement(self, counts: list[metrics.Count], trace: Trace | None) -> bool:
        # None is SQL NULL, as the ORM writes it, not the JSON null.
        values = self.values | {
            name: None if self.values[name] is None else json.dumps(self.values[name])
            for name in ("output", "error")
        }
        params = {
            **values,
            "run": self.run.pk,
            "owner": self.owner,
            "counts": json.dumps(counts),
            "finished_counts": json.dumps(counts + self.finished_counts),
            **trace_params(trace),
        }
        row = dialect.fetch_prepared(_FINISH_SQL, params)
        return bool(row and row[0])

    def portable(self, counts: list[metrics.Count], trace: Trace | None) -> bool:
        if trace:
            save_trace_txn(self.run.pk, trace)
        running = Run.objects.filter(
            pk=self.run.pk, lease_owner=self.owner, status=Run.Status.RUNNING
        )
        finished = bool(running.update(**self.values))
        if finished:
            UsageItem.objects.create(
                run_id=self.run.pk,
                kind=UsageItem.Kind.DURATION,
                quantity=self.duration,
                unit="ms",
                created_at=self.now,
            )
        counters.add_txn(counts + self.finished_counts if finished else counts)
        return finished


_SET = ", ".join(
    f"{name} = %({name})s::jsonb" if name in ("output", "error") else f"{name} = %({name})s"
    for name in (
        "status",
        "output",
        "error",
        "error_fingerprint",
        "finished_at",
        "duration_ms",
        "queue_ms",
        "lease_owner",
        "lease_expires_at",
        "wake_at",
        "step_count",
    )
)
# Every part runs whether or not the run was still ours: the trace and the step counts of the
# pass are kept either way, as the portable path keeps them.
_FINISH_SQL = f"""
WITH finished AS (
    UPDATE history_run SET {_SET}
    WHERE id = %(run)s AND lease_owner = %(owner)s AND status = 'running'
    RETURNING id
), duration AS (
    INSERT INTO history_usageitem (run_id, kind, provider, model, service, tokens_in, tokens_out,
        quantity, unit, unit_price_in, unit_price_out, cost, created_at)
    SELECT id, 'duration', '', '', '', 0, 0, %(duration_ms)s, 'ms', 0, 0, 0, %(finished_at)s
    FROM finished
), counted AS (
    INSERT INTO history_metricincrement (counts)
    SELECT CASE WHEN EXISTS (SELECT FROM finished) THEN %(finished_counts)s::jsonb
                ELSE %(counts)s::jsonb END
    WHERE EXISTS (SELECT FROM finished) OR %(counts)s::jsonb <> '[]'::jsonb
), {TRACE_CTES}
SELECT count(*) FROM finished
"""


def _after_finish_txn(run: Run, status: str, outcome: Completed | Failed, children: bool) -> None:
    if run.kind == Run.Kind.AGENT:
        save_conversation_txn(run.pk)
    if children:  # those still waiting or running have no one to report to
        cancel_descendants_txn(run.pk)
    if run.parent_id:
        settle_parent_step_txn(run, status, outcome)


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


def _suspend_txn(run: Run, owner: str, outcome: Suspended, steps: int) -> bool:
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
            step_count=steps,
        )
    )


def _ms(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))
