"""The only module that writes run and step rows.

Functions ending in ``_txn`` run inside the caller's transaction and never open one.
Every status change is a conditional UPDATE: a count other than 1 means someone else
(a cancel, another worker, the sweeper) got there first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from history.models import LogRecord, Organization, Run, Span, Step, TriggerDelivery, UsageItem

from . import faults, log_output, metrics
from .conf import engine_settings
from .engine import Completed, Failed, StepRecord, Suspended, escape_json_nul, storable
from .errors import RunStopped
from .queue import enqueue_on_commit
from .redact import redact

_STEP_FIELDS = (
    "position",
    "step_id",
    "kind",
    "status",
    "input",
    "output",
    "error",
    "attempts",
    "started_at",
    "finished_at",
    "wake_at",
    "token",
    "parent_position",
    "cost",
)


# -- creating runs --------------------------------------------------------------------------


def create_run_txn(workflow: Any, input: dict[str, Any], **fields: Any) -> Run:
    # what a trigger received: a header, a query or a polled item may carry a secret
    if "trigger_raw" in fields:
        fields["trigger_raw"] = redact(fields["trigger_raw"])
    now = timezone.now()
    deadline = now + workflow.timeout if workflow.timeout else None
    run = Run.objects.create(
        kind=workflow.kind,
        slug=workflow.slug,
        input=input,
        status=Run.Status.QUEUED,
        created_at=now,
        queued_at=now,
        enqueued_at=now,
        deadline_at=deadline,
        **fields,
    )
    metrics.add_txn(metrics.run_started(run.slug))
    enqueue_on_commit(run.pk)
    return run


def record_delivery_txn(
    organization: Organization,
    trigger: str,
    key: str,
    digest: str,
    response: dict[str, Any],
    status_code: int = 202,
) -> None:
    """What a request with an Idempotency-Key answered, in the transaction that started its runs.

    A concurrent request with the same key fails here on the unique key, and its runs roll back.
    """
    TriggerDelivery.objects.create(
        organization=organization,
        trigger=trigger,
        key=key,
        request_digest=digest,
        response=response,
        status_code=status_code,
    )


# -- the event log of one run ----------------------------------------------------------------


class DatabaseEventLog:
    """The replay core's event log, on ``history.Step`` rows, guarded by the run's lease."""

    def __init__(self, run: Run, owner: str) -> None:
        self.run, self.owner, self.run_id = run, owner, run.public_id
        self.timings = metrics.StepTimings()  # counted when the pass concludes, not per step

    def load(self) -> dict[int, StepRecord]:
        rows = Step.objects.filter(run_id=self.run.pk).values(*_STEP_FIELDS, "child_run__uid")
        return {row["position"]: _to_record(row) for row in rows}

    def record(self, record: StepRecord) -> None:
        if record.status == "success":
            faults.reach("step-returned", record.step_id)
        if not record_step(self.run.pk, self.owner, record):
            raise RunStopped
        self.timings.observe(record)

    def start_child(
        self, record: StepRecord, workflow: Any, input: dict[str, Any], tool_of: str | None = None
    ) -> StepRecord:
        if tool_of:
            trigger = {
                "trigger_type": Run.Trigger.WORKFLOW_TOOL,
                "trigger_label": f"Workflow tool · {tool_of}",
            }
        else:
            trigger = {
                "trigger_type": Run.Trigger.WORKFLOW,
                "trigger_label": f"Workflow · {self.run.slug}",
            }
        with transaction.atomic():
            child = create_run_txn(
                workflow,
                input,
                organization_id=self.run.organization_id,
                project_id=self.run.project_id,
                parent=self.run,
                actor=self.run.actor,
                actor_user_id=self.run.actor_user_id,
                actor_api_key_id=self.run.actor_api_key_id,
                trigger_raw={
                    "parent_run_id": self.run.public_id,
                    "step_id": record.step_id,
                    "agent": tool_of,
                },
                **trigger,
            )
            record = replace(record, child_run_id=child.public_id)
            if not record_step(self.run.pk, self.owner, record, child_pk=child.pk):
                raise RunStopped  # rolls the child back with the step
        return record

    def hook_token(self, step_id: str) -> str:
        message = f"hook:{self.run.uid.hex}:{step_id}".encode()
        return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:40]

    def hook_url(self, token: str) -> str:
        # Asked for every hook handle the pass hands out, replayed ones included: the workflow
        # may log the token, and this process's log output hides it.
        log_output.hold_token(self.owner, token)
        return f"{engine_settings()['PUBLIC_URL'].rstrip('/')}/hooks/{token}"


def _to_record(row: dict[str, Any]) -> StepRecord:
    child = row.pop("child_run__uid")
    row["token"] = row["token"] or None
    return StepRecord(**row, child_run_id=f"run_{child.hex}" if child else None)


# Explicit casts let PostgreSQL prepare the statement once per connection. There is no row
# lock on the run: a cancel committed between the check and the insert records one finished
# step, which is true; a lease taken over meanwhile means both workers ran it (at least once).
_RECORD_SQL = """
WITH guard AS (
    SELECT id FROM history_run WHERE id = %s::bigint AND lease_owner = %s::varchar AND status =
    'running'
)
INSERT INTO history_step (run_id, position, step_id, kind, status, input, output, error, attempts,
                          started_at, finished_at, wake_at, token, child_run_id, resumed_by, cost,
                          parent_position)
SELECT guard.id, %s::int, %s::varchar, %s::varchar, %s::varchar, %s::jsonb, %s::jsonb, %s::jsonb,
%s::jsonb,
       %s::timestamptz, %s::timestamptz, %s::timestamptz, %s::varchar, %s::bigint, '', %s::numeric,
       %s::int
FROM guard
ON CONFLICT (run_id, position) DO UPDATE SET
    status = EXCLUDED.status, output = EXCLUDED.output, error = EXCLUDED.error, cost =
    EXCLUDED.cost,
    attempts = EXCLUDED.attempts, finished_at = EXCLUDED.finished_at, wake_at = EXCLUDED.wake_at,
    child_run_id = COALESCE(EXCLUDED.child_run_id, history_step.child_run_id)
    WHERE history_step.status NOT IN ('success', 'failed')
RETURNING id
"""


def record_step(run_pk: int, owner: str, record: StepRecord, child_pk: int | None = None) -> bool:
    """Insert or advance one step, only while ``owner`` holds the running run's lease.

    One prepared statement and one commit on PostgreSQL; a step with usage lines (a model
    call, a paid service) also adds them and the run's totals, in the same transaction.
    False when the run is no longer ours (canceled, or the lease was taken over) or the step
    was already settled by someone else (a hook resumed meanwhile): either way this pass must stop.
    """
    if not record.usage:
        return _record_step(run_pk, owner, record, child_pk) is not None
    with transaction.atomic():
        step_pk = _record_step(run_pk, owner, record, child_pk)
        if step_pk is not None:
            add_usage_txn(run_pk, step_pk, record.usage)
        return step_pk is not None


def _record_step(run_pk: int, owner: str, record: StepRecord, child_pk: int | None) -> int | None:
    if connection.vendor != "postgresql":
        return _record_step_portable(run_pk, owner, record, child_pk)
    dumps = json.dumps
    params = [
        run_pk,
        owner,
        record.position,
        record.step_id,
        record.kind,
        record.status,
        dumps(record.input),
        dumps(record.output),
        dumps(record.error),
        dumps(record.attempts),
        record.started_at,
        record.finished_at,
        record.wake_at,
        record.token or "",
        child_pk,
        record.cost,
        record.parent_position,
    ]
    connection.ensure_connection()
    # Django's cursors bind on the client and cannot prepare; a plain psycopg cursor can.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(_RECORD_SQL, params, prepare=True)
        row = cursor.fetchone()
        return row[0] if row else None


def _record_step_portable(
    run_pk: int, owner: str, record: StepRecord, child_pk: int | None
) -> int | None:
    values = {name: getattr(record, name) for name in _STEP_FIELDS} | {"token": record.token or ""}
    with transaction.atomic():
        if not Run.objects.filter(pk=run_pk, lease_owner=owner, status=Run.Status.RUNNING).exists():
            return None
        step = Step.objects.filter(run_id=run_pk, position=record.position).first()
        if step is None:
            return Step.objects.create(run_id=run_pk, child_run_id=child_pk, **values).pk
        if step.status in (Step.Status.SUCCESS, Step.Status.FAILED):
            return None
        for name in ("status", "output", "error", "attempts", "finished_at", "wake_at", "cost"):
            setattr(step, name, values[name])
        step.child_run_id = child_pk or step.child_run_id
        step.save()
        return step.pk


def add_usage_txn(run_pk: int, step_pk: int | None, usage: list[dict[str, Any]]) -> None:
    """Add priced usage lines to a run and fold them into its cost, models and services."""
    items = [UsageItem(run_id=run_pk, step_id=step_pk, **_usage_fields(item)) for item in usage]
    UsageItem.objects.bulk_create(items)
    run = Run.objects.select_for_update().only("models_used", "services_used").get(pk=run_pk)
    models = {item["label"] for item in usage if item.get("label")}
    services = {item.get("provider") or item.get("service") for item in usage} - {"", None}
    Run.objects.filter(pk=run_pk).update(
        total_cost=F("total_cost") + sum((Decimal(item["cost"]) for item in usage), Decimal(0)),
        models_used=sorted(set(run.models_used) | models),
        services_used=sorted(set(run.services_used) | services),
    )


_USAGE_FIELDS = {f.name for f in UsageItem._meta.concrete_fields} - {
    "id",
    "run",
    "step",
    "created_at",
}


def _usage_fields(item: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in item.items() if name in _USAGE_FIELDS}


# -- claiming, finishing and suspending --------------------------------------------------------


_CLAIM_SQL = """
UPDATE history_run SET status = 'running', lease_owner = %s, lease_expires_at = %s,
       started_at = COALESCE(started_at, %s)
WHERE id = %s AND (status = 'queued' OR (status = 'running' AND lease_expires_at < %s))
RETURNING *
"""


def claim_run(run_pk: int, owner: str) -> Run | None:
    """Take the lease on a queued run (or one whose worker died); None if it is not ours to run."""
    now = timezone.now()
    lease = now + timedelta(seconds=engine_settings()["LEASE_SECONDS"])
    rows = list(Run.objects.raw(_CLAIM_SQL, [owner, lease, now, run_pk, now]))
    return rows[0] if rows else None


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
    metrics.add_txn(counts)  # the whole pass in one statement


def finish_run_txn(run: Run, owner: str, outcome: Completed | Failed) -> bool:
    now = timezone.now()
    started = run.started_at or now
    status = Run.Status.SUCCESS if isinstance(outcome, Completed) else Run.Status.FAILED
    updated = Run.objects.filter(pk=run.pk, lease_owner=owner, status=Run.Status.RUNNING).update(
        status=status,
        output=outcome.output if isinstance(outcome, Completed) else None,
        error=outcome.error if isinstance(outcome, Failed) else None,
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


def cancel_run_txn(run_pk: int) -> bool:
    now = timezone.now()
    canceled = Run.objects.filter(pk=run_pk, status__in=Run.ACTIVE).update(
        status=Run.Status.CANCELED,
        finished_at=now,
        wake_at=None,
        lease_owner="",
        lease_expires_at=None,
    )
    if canceled:
        metrics.count_canceled_txn(run_pk)
    return bool(canceled)


def cancel_descendants_txn(run_pk: int) -> None:
    """Cancel every active child, grandchild… of a run; a running one stops at its next step."""
    frontier = [run_pk]
    while frontier:
        children = Run.objects.filter(parent_id__in=frontier, status__in=Run.ACTIVE).values_list(
            "pk", flat=True
        )
        frontier = [pk for pk in list(children) if cancel_run_txn(pk)]


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
    """Give a run we still hold back to the queue (it was woken, or
    a step was settled meanwhile).
    """
    if trace:
        save_trace_txn(run_pk, trace)
    if timings:
        metrics.add_txn(timings.counts())  # the steps this pass settled before it stopped
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
        enqueue_on_commit(run_pk)
    return bool(updated)


@dataclass(frozen=True)
class Trace:
    """The spans and log records of one pass, as row dicts (``workflows.tracing`` makes them)."""

    spans: list[dict[str, Any]]
    logs: list[dict[str, Any]]

    def __bool__(self) -> bool:
        return bool(self.spans or self.logs)


_SPAN_COLUMNS = (
    "trace_id, span_id, parent_span_id, name, kind, status, started_at, ended_at, attributes"
)
_SPAN_TYPES = (
    "trace_id text, span_id text, parent_span_id text, name text, kind text, status text,"
    " started_at timestamptz, ended_at timestamptz, attributes jsonb"
)
_LOG_COLUMNS = "span_id, created_at, level, logger, message, attributes"
_LOG_TYPES = (
    "span_id text, created_at timestamptz, level text, logger text, message text, attributes jsonb"
)
# One statement and one parameter per table, however many rows: the batch travels as a JSON array.
_TRACE_SQL = {
    table: f"INSERT INTO {table} (run_id, {columns}) SELECT %s, {columns}"
    f" FROM jsonb_to_recordset(%s::jsonb) AS r({types})"
    for table, columns, types in (
        ("history_span", _SPAN_COLUMNS, _SPAN_TYPES),
        ("history_logrecord", _LOG_COLUMNS, _LOG_TYPES),
    )
}


def save_trace_txn(run_pk: int, trace: Trace) -> None:
    """A pass's spans and log records, in one batch (not a write per span)."""
    if connection.vendor != "postgresql":
        Span.objects.bulk_create(
            [Span(run_id=run_pk, **span) for span in trace.spans], batch_size=500
        )
        LogRecord.objects.bulk_create(
            [LogRecord(run_id=run_pk, **log) for log in trace.logs], batch_size=500
        )
        return
    connection.ensure_connection()
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        for table, rows in (("history_span", trace.spans), ("history_logrecord", trace.logs)):
            if rows:
                cursor.execute(_TRACE_SQL[table], [run_pk, _jsonb_text(rows)], prepare=True)


def _jsonb_text(rows: list[dict[str, Any]]) -> str:
    """``rows`` as JSON that jsonb accepts: NUL characters escaped, NaN made null."""
    try:
        text = json.dumps(rows, default=_json_default, allow_nan=False)
    except ValueError:  # NaN or infinity in an attribute
        return _jsonb_text(storable(rows))
    return escape_json_nul(text)


def _json_default(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _ms(delta: timedelta) -> int:
    return max(0, int(delta.total_seconds() * 1000))


# -- waking runs ------------------------------------------------------------------------------


def wake_run_txn(run_pk: int) -> None:
    """Tell a run something it waits on happened: requeue it if suspended, else mark it woken."""
    now = timezone.now()
    Run.objects.filter(pk=run_pk).update(wakeups=F("wakeups") + 1)
    if Run.objects.filter(pk=run_pk, status__in=Run.SUSPENDED).update(
        status=Run.Status.QUEUED, wake_at=None, queued_at=now, enqueued_at=now
    ):
        enqueue_on_commit(run_pk)


def settle_parent_step_txn(child: Run, status: str, outcome: Completed | Failed | None) -> None:
    """Hand a finished child's result to the parent step waiting on it, and wake the parent."""
    if status == Run.Status.SUCCESS and isinstance(outcome, Completed):
        values: dict[str, Any] = {"status": Step.Status.SUCCESS, "output": outcome.output}
    else:
        cause = (
            outcome.error
            if isinstance(outcome, Failed)
            else {"type": "Canceled", "message": "canceled"}
        )
        message = f"child run {child.public_id} ({child.slug}) {status}: {cause.get('message', '')}"
        values = {
            "status": Step.Status.FAILED,
            "error": {"type": "ChildWorkflowFailed", "message": message, "attempts": [cause]},
        }
    if Step.objects.filter(child_run=child, status=Step.Status.WAITING).update(
        finished_at=timezone.now(), **values
    ):
        wake_run_txn(child.parent_id)  # type: ignore[arg-type]


def due_run_ids(now: datetime, limit: int = 500) -> list[int]:
    """Suspended runs whose timer (sleep, retry backoff, hook timeout) has come."""
    return list(
        Run.objects.filter(status__in=Run.SUSPENDED, wake_at__lte=now)
        .order_by("wake_at")
        .values_list("pk", flat=True)[:limit]
    )


def fire_timer(run_pk: int, now: datetime) -> bool:
    with transaction.atomic():
        if Run.objects.filter(pk=run_pk, status__in=Run.SUSPENDED, wake_at__lte=now).update(
            status=Run.Status.QUEUED, wake_at=None, queued_at=now, enqueued_at=now
        ):
            enqueue_on_commit(run_pk)
            return True
    return False


def _stale(now: datetime) -> Q:
    """Runs whose worker died (lease lapsed) or whose queue message seems lost."""
    stale_before = now - timedelta(seconds=engine_settings()["STALE_QUEUED_SECONDS"])
    lost = Q(status=Run.Status.QUEUED, enqueued_at__lt=stale_before)
    dead = Q(status=Run.Status.RUNNING, lease_expires_at__lt=now)
    return lost | dead


def stale_run_ids(now: datetime, limit: int = 500) -> list[int]:
    return list(
        Run.objects.filter(_stale(now)).order_by("enqueued_at").values_list("pk", flat=True)[:limit]
    )


def requeue_stale(run_pk: int, now: datetime) -> bool:
    with transaction.atomic():
        if Run.objects.filter(_stale(now), pk=run_pk).update(
            status=Run.Status.QUEUED, lease_owner="", lease_expires_at=None, enqueued_at=now
        ):
            metrics.add_txn(metrics.SWEEPER_REQUEUE)
            enqueue_on_commit(run_pk)
            return True
    return False


# -- retention ----------------------------------------------------------------------------------
# The deletes of workflows.retention. A batch of runs goes in one transaction, table by table by
# run id (every run_id column is indexed), never through Django's collector, which loads each
# row before deleting it. Foreign keys are checked at commit, so the order of the tables is free.

_PRUNED_COLUMNS = ("id", "uid", "organization_id", "slug", "status", "finished_at")
_ROWS_OF_A_RUN = (
    ("usage", "history_usageitem"),
    ("steps", "history_step"),
    ("spans", "history_span"),
    ("logs", "history_logrecord"),
)
# SET_NULL links: a rerun, a trigger's last run and (defensively) a step outside the tree.
_LINKS_TO_A_RUN = (
    ("history_run", "rerun_of_id"),
    ("history_triggerstate", "last_run_id"),
    ("history_step", "child_run_id"),
)


def expired_roots_txn(
    status: str,
    before: datetime,
    only: tuple[str, ...],
    exclude: tuple[str, ...],
    after: tuple[datetime, int] | None,
    limit: int,
    lock: bool,
) -> list[Run]:
    """Top-level runs of ``status`` finished before ``before``, oldest first, past the ``after``
    cursor.

    Locked rows are skipped, not waited for: two prunes at once take different batches, and a
    run being retried is left for the next prune.
    """
    runs = Run.objects.filter(parent__isnull=True, status=status, finished_at__lt=before)
    if only:
        runs = runs.filter(slug__in=only)
    if exclude:
        runs = runs.exclude(slug__in=exclude)
    if after is not None:
        # finished_at >= starts the index range at the cursor; the OR breaks ties by id.
        finished, pk = after
        runs = runs.filter(Q(finished_at__gt=finished) | Q(pk__gt=pk), finished_at__gte=finished)
    if lock:
        runs = runs.select_for_update(skip_locked=True)
    return list(runs.only(*_PRUNED_COLUMNS).order_by("finished_at", "id")[:limit])


def run_descendants_txn(root_pks: list[int], lock: bool) -> tuple[list[Run], set[int]]:
    """Every child, grandchild… of these runs, each with ``root_id``, and the roots of busy trees.

    With ``lock``, the descendants are locked so none is retried meanwhile, skipping those a
    worker holds: waiting for them while holding their root could deadlock with that worker,
    which locks the child and then its parent. A tree with such a run is busy, and kept.
    One indexed look per generation (parent_id IN …) rather than a recursive CTE, whose work
    table the planner cannot size: it answered one with scans of the whole run table.
    """
    found: list[Run] = []
    busy: set[int] = set()
    root_of = {pk: pk for pk in root_pks}
    generation = list(root_pks)
    while generation:
        children = list(
            Run.objects.filter(parent_id__in=generation).only(*_PRUNED_COLUMNS, "parent_id")
        )
        if lock and children:
            ids = [child.pk for child in children]
            held = set(
                Run.objects.filter(pk__in=ids)
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)
            )
            busy |= {
                root_of[child.parent_id]
                for child in children
                if child.pk not in held and child.parent_id
            }
        generation = []
        for child in children:
            assert child.parent_id is not None  # found through parent_id__in
            child.root_id = root_of[child.pk] = root_of[child.parent_id]  # type: ignore[attr-defined]
            found.append(child)
            generation.append(child.pk)
    return found, busy


def delete_runs_txn(runs: list[Run], delivered_before: datetime) -> dict[tuple[int, str], int]:
    """Delete whole trees of runs with every row that belongs to them; the rows by organization and
    kind.

    The deliveries that answered with one of these runs go with them if made before
    ``delivered_before``.
    """
    counts = _rows_of_runs(runs, delivered_before, None, delete=True)
    pks = [run.pk for run in runs]
    with connection.cursor() as cursor:
        for table, column in _LINKS_TO_A_RUN:
            match, params = _any(column, pks)
            cursor.execute(f"UPDATE {table} SET {column} = NULL WHERE {match}", params)
        match, params = _any("id", pks)
        cursor.execute(f"DELETE FROM history_run WHERE {match}", params)
    return counts


def count_runs_rows(
    runs: list[Run], delivered_before: datetime, delivered_since: datetime
) -> dict[tuple[int, str], int]:
    """What ``delete_runs_txn`` would delete besides the runs, and delete nothing (a dry run).

    Deliveries made before ``delivered_since`` are left out: the age sweep counts them.
    """
    return _rows_of_runs(runs, delivered_before, delivered_since, delete=False)


def delete_old_deliveries_txn(before: datetime, limit: int) -> dict[int, int]:
    """Delete up to ``limit`` deliveries made before ``before``, oldest first; how many, by
    organization.
    """
    oldest = (
        "SELECT id FROM history_triggerdelivery WHERE created_at < %s ORDER BY created_at LIMIT %s"
    )
    if connection.vendor == "postgresql":
        # ARRAY(…) is computed once, so the DELETE finds its rows by primary key, not by a hash
        # join.
        oldest = f"id = ANY(ARRAY({oldest} FOR UPDATE SKIP LOCKED))"
    else:
        oldest = f"id IN ({oldest})"
    return _take_rows(
        "history_triggerdelivery", oldest, [_when(before), limit], "organization_id", delete=True
    )


def count_old_deliveries(before: datetime) -> dict[int, int]:
    return _take_rows(
        "history_triggerdelivery",
        "created_at < %s",
        [_when(before)],
        "organization_id",
        delete=False,
    )


def _rows_of_runs(
    runs: list[Run], delivered_before: datetime, delivered_since: datetime | None, delete: bool
) -> dict[tuple[int, str], int]:
    counts: dict[tuple[int, str], int] = {}
    organization_of = {run.pk: run.organization_id for run in runs}
    match, params = _any("run_id", list(organization_of))
    for kind, table in _ROWS_OF_A_RUN:
        for run_pk, n in _take_rows(table, match, params, "run_id", delete).items():
            key = (organization_of[run_pk], kind)
            counts[key] = counts.get(key, 0) + n
    match, params = _any(_delivery_run_id(), [run.public_id for run in runs])
    # Without a lower bound on created_at the planner looks the runs up in history_delivery_run
    # instead of filtering every delivery of the window.
    where, params = f"{match} AND created_at < %s", [*params, _when(delivered_before)]
    if delivered_since is not None:
        where, params = f"{where} AND created_at >= %s", [*params, _when(delivered_since)]
    for org, n in _take_rows(
        "history_triggerdelivery", where, params, "organization_id", delete
    ).items():
        counts[org, "deliveries"] = n
    return counts


def _take_rows(table: str, where: str, params: list[Any], key: str, delete: bool) -> dict[int, int]:
    """Count the rows of ``table`` matching ``where`` by ``key`` (a column), and delete them unless
    a dry run.

    On PostgreSQL one statement does both: DELETE … RETURNING feeds the count.
    """
    postgres = connection.vendor == "postgresql"
    if delete and postgres:
        sql = (
            f"WITH gone AS (DELETE FROM {table} WHERE {where} RETURNING {key}) SELECT {key}, "
            f"count(*) FROM gone"
        )
    else:
        sql = f"SELECT {key}, count(*) FROM {table} WHERE {where}"
    with connection.cursor() as cursor:
        cursor.execute(f"{sql} GROUP BY {key}", params)
        counts = dict(cursor.fetchall())
        if delete and not postgres and counts:
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)
    return counts


def _any(column: str, values: list[Any]) -> tuple[str, list[Any]]:
    """``column`` is one of ``values``: one array parameter on PostgreSQL, a placeholder per value
    elsewhere.
    """
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _delivery_run_id() -> str:
    # The run a delivery answered with: a webhook's first run, or an API start's run. The
    # PostgreSQL form matches the expression index history_delivery_run.
    if connection.vendor == "postgresql":
        return "(response ->> 'run_id')"
    return "json_extract(response, '$.run_id')"


def _when(moment: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(moment)
