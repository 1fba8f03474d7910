"""Step rows: recorded by the worker that holds the run's lease, with their usage; a hook's answer;
the steps a retry runs again.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from history.models import Run, Step, UsageItem

from ..engine import StepRecord
from ..engine.positions import branch_of, last_positions
from . import dialect

STEP_FIELDS = (
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
    "workspace",
    "workspace_seq",
)

# A run's step log as one JSON array, for the claim to read in its own statement. Timestamps
# travel as ISO text and the cost as text, so nothing is rounded on the way.
LOG_SQL = (
    "SELECT json_agg(json_build_object("
    + ", ".join(f"'{name}', s.{name}" for name in STEP_FIELDS if name != "cost")
    + ", 'cost', s.cost::text, 'copied', s.copied, 'child_run', c.uid) ORDER BY s.position)"
    " FROM history_step s LEFT JOIN history_run c ON c.id = s.child_run_id"
)
_TIMES = ("started_at", "finished_at", "wake_at")


def log_from_json(rows: list[dict[str, Any]] | None) -> dict[int, StepRecord]:
    """The step log ``LOG_SQL`` read (psycopg decodes json, which Django leaves to jsonb), as
    records by position.
    """
    log = {}
    for row in rows or ():
        for name in _TIMES:
            if row[name]:
                row[name] = datetime.fromisoformat(row[name])
        row["cost"] = Decimal(row["cost"])
        log[row["position"]] = _to_record(row, row.pop("child_run"))
    return log


def log_of(run_pk: int) -> dict[int, StepRecord]:
    """A run's step log, by position (the portable path's second statement)."""
    rows = Step.objects.filter(run_id=run_pk).values(*STEP_FIELDS, "copied", "child_run__uid")
    return {row["position"]: _to_record(row, row.pop("child_run__uid")) for row in rows}


def _to_record(row: dict[str, Any], child: Any) -> StepRecord:
    row["token"] = row["token"] or None
    return StepRecord(**row, child_run_id=f"run_{UUID(str(child)).hex}" if child else None)


# Explicit casts let PostgreSQL prepare the statement once per connection. There is no row
# lock on the run: a cancel committed between the check and the insert records one finished
# step, which is true; a lease taken over meanwhile means both workers ran it (at least once).
_RECORD_SQL = """
WITH guard AS (
    SELECT id FROM history_run
    WHERE id = %s::bigint AND lease_owner = %s::varchar AND status = 'running'
)
INSERT INTO history_step (run_id, position, step_id, kind, status, input, output, error, attempts,
                          started_at, finished_at, wake_at, token, child_run_id, resumed_by, cost,
                          parent_position, workspace, workspace_seq)
SELECT guard.id, %s::int, %s::varchar, %s::varchar, %s::varchar,
       %s::jsonb, %s::jsonb, %s::jsonb, %s::jsonb,
       %s::timestamptz, %s::timestamptz, %s::timestamptz, %s::varchar, %s::bigint, '',
       %s::numeric, %s::int, %s::varchar, %s::int
FROM guard
ON CONFLICT (run_id, position) DO UPDATE SET
    status = EXCLUDED.status, output = EXCLUDED.output, error = EXCLUDED.error,
    cost = EXCLUDED.cost,
    attempts = EXCLUDED.attempts, finished_at = EXCLUDED.finished_at, wake_at = EXCLUDED.wake_at,
    child_run_id = COALESCE(EXCLUDED.child_run_id, history_step.child_run_id),
    workspace = COALESCE(NULLIF(EXCLUDED.workspace, ''), history_step.workspace),
    workspace_seq = CASE WHEN EXCLUDED.workspace = '' THEN history_step.workspace_seq
                         ELSE EXCLUDED.workspace_seq END
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


def record_steps(run_pk: int, owner: str, records: list[StepRecord]) -> bool:
    """Several finished steps in one transaction (step_commits "deferred" and "batched"); False,
    and none of them recorded, when the run is no longer ours."""
    if len(records) == 1:
        return record_step(run_pk, owner, records[0])
    with transaction.atomic():
        for record in records:
            if not record_step(run_pk, owner, record):
                transaction.set_rollback(True)
                return False
    return True


def _record_step(run_pk: int, owner: str, record: StepRecord, child_pk: int | None) -> int | None:
    if not dialect.on_postgresql():
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
        record.workspace,
        record.workspace_seq,
    ]
    row = dialect.fetch_prepared(_RECORD_SQL, params)
    return row[0] if row else None


def _record_step_portable(
    run_pk: int, owner: str, record: StepRecord, child_pk: int | None
) -> int | None:
    values = {name: getattr(record, name) for name in STEP_FIELDS} | {"token": record.token or ""}
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
        if record.workspace:
            step.workspace, step.workspace_seq = record.workspace, record.workspace_seq
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


def answer_hook_txn(step_pk: int, value: Any, resumed_by: str) -> bool:
    """Settle a waiting hook with its answer; False when someone else answered it first."""
    return bool(
        Step.objects.filter(pk=step_pk, status=Step.Status.WAITING).update(
            status=Step.Status.SUCCESS,
            output=value,
            finished_at=timezone.now(),
            resumed_by=resumed_by,
        )
    )


def forget_unfinished_steps_txn(run: Run) -> None:
    """The steps a retry runs again: failed ones, and child steps whose child ended without
    success.

    On a run numbered per branch, a failure that its branch went on past (the workflow caught
    it) is kept: it is part of the path the run took, and running it again would renumber the
    branch's later steps.
    """
    failed = Step.objects.filter(run_id=run.pk, status=Step.Status.FAILED)
    if run.step_numbering == Run.StepNumbering.PER_BRANCH:
        top = list(
            run.steps.filter(parent_position__isnull=True).values_list(
                "position", "step_id", "status"
            )
        )
        last = last_positions((position, step_id) for position, step_id, _ in top)
        caught = [
            position
            for position, step_id, status in top
            if status == Step.Status.FAILED and last[branch_of(step_id)] > position
        ]
        if caught:
            failed = failed.exclude(position__in=caught)
    failed.delete()
    Step.objects.filter(
        run_id=run.pk,
        status=Step.Status.WAITING,
        child_run__status__in=(Run.Status.FAILED, Run.Status.CANCELED),
    ).delete()
