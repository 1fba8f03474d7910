"""Run rows of the host project's Celery tasks (``workflows.task_recording``): one statement per
signal, keyed by the task id.

Celery's signals come from the publisher, the worker's main process and its pool processes, so
they may arrive late, out of order or twice (each process writes its own batches). Each is one
INSERT … ON CONFLICT DO UPDATE that changes the run's state only if the event is not behind it,
though a late one still adds the details and the start it knows: events rank by attempt, then by
phase (queued, running, ended). An ended attempt is overwritten only by a later attempt or by
another end of the same attempt, which is how a task that started before its cancel reached the
workers records how it really ended.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection

from history.fingerprints import fingerprint_of
from history.models import Run
from history.models.accounts import DEFAULT_SLUG

from . import dialect

# Celery ids are UUIDs unless the caller chose one: then the run's uid is derived from it, so
# every signal of the task finds the same row.
_TASK_IDS = uuid.UUID("6f1d9a4e-3c55-4d2b-9c1e-5b7f0e2a8d31")

# Tasks go to the default organization and its default project, looked up by the statement.
_SCOPE = {
    "organization_id": f"(SELECT id FROM history_organization WHERE slug = '{DEFAULT_SLUG}')",
    "project_id": (
        "(SELECT p.id FROM history_project p JOIN history_organization o"
        f" ON o.id = p.organization_id WHERE o.slug = '{DEFAULT_SLUG}'"
        f" AND p.slug = '{DEFAULT_SLUG}')"
    ),
}


SLUG_CHARS = 100  # Run.slug's max_length


def _rank(table: str) -> str:
    return (
        f"{table}.attempt * 10 + CASE {table}.status WHEN 'queued' THEN 0 "
        "WHEN 'running' THEN 2 ELSE 4 END"
    )


@dataclass(frozen=True)
class TaskEvent:
    """What one signal says about a task; payloads already redacted and cut to size."""

    task_id: str
    name: str
    status: str  # a Run.Status: queued, running, success, failed or canceled
    attempt: int
    at: datetime
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    # task_id, queue, worker, eta, received_at: merged into the run's trigger_raw
    details: dict[str, Any] = field(default_factory=dict)


def run_uid(task_id: str) -> uuid.UUID:
    try:
        return uuid.UUID(task_id)
    except ValueError:
        return uuid.uuid5(_TASK_IDS, task_id)


def record_task_event(event: TaskEvent) -> None:
    """Insert the task's run, or bring it up to ``event`` unless the row is already past it."""
    values = {
        **_defaults(),
        "uid": run_uid(event.task_id),
        "kind": Run.Kind.TASK,
        "slug": event.name[:SLUG_CHARS],
        "status": event.status,
        "input": event.input if event.input is not None else {},
        "output": event.output,
        "error": event.error,
        "error_fingerprint": fingerprint_of(event.error) if event.status == "failed" else "",
        "trigger_type": Run.Trigger.CELERY,
        "trigger_raw": event.details,
        "attempt": event.attempt,
        "created_at": event.at,
        "queued_at": event.at,
        "started_at": event.at if event.status == "running" else None,
        "finished_at": event.at if event.status in Run.TERMINAL else None,
    }
    fields = _fields()
    params = [
        f.get_db_prep_save(values[f.attname], connection) for f in fields if f.attname not in _SCOPE
    ]
    with connection.cursor() as cursor:
        cursor.execute(_sql(event.status, dialect.on_postgresql()), params)


@cache
def _fields() -> list[Any]:
    return [f for f in Run._meta.concrete_fields if not f.primary_key]


@cache
def _defaults() -> dict[str, Any]:
    return {f.attname: f.get_default() for f in _fields() if f.attname not in _SCOPE}


@cache
def _sql(status: str, postgresql: bool) -> str:
    fields = _fields()
    columns = ", ".join(f'"{f.column}"' for f in fields)
    placeholders = ", ".join(_SCOPE.get(f.attname, "%s") for f in fields)

    def merged(first: str, then: str) -> str:  # the second's keys win
        return f"{first} || {then}" if postgresql else f"json_patch({first}, {then})"

    elapsed = (
        "EXTRACT(EPOCH FROM EXCLUDED.finished_at - history_run.started_at) * 1000"
        if postgresql
        else "(julianday(EXCLUDED.finished_at) - julianday(history_run.started_at)) * 86400000"
    )
    ahead = f"{_rank('EXCLUDED')} >= {_rank('history_run')}"
    sets = {
        "status": "EXCLUDED.status",
        "attempt": "EXCLUDED.attempt",
        "finished_at": "EXCLUDED.finished_at",
    }
    if status in Run.TERMINAL:
        # a clock behind the one that started the task must not make a negative duration
        sets["duration_ms"] = (
            "CASE WHEN history_run.started_at IS NULL THEN NULL "
            "WHEN EXCLUDED.finished_at < history_run.started_at THEN 0 "
            f"ELSE CAST({elapsed} AS integer) END"
        )
    if status == Run.Status.SUCCESS:
        sets |= {"output": "EXCLUDED.output", "error": "NULL", "error_fingerprint": "''"}
    elif status == Run.Status.FAILED:
        sets |= {
            "output": "NULL",
            "error": "EXCLUDED.error",
            "error_fingerprint": "EXCLUDED.error_fingerprint",
        }
    elif status != Run.Status.CANCELED:
        # a retry's reason stays shown while the next attempt waits and runs
        sets["error"] = "COALESCE(EXCLUDED.error, history_run.error)"
    # An event behind the row changes none of the above, but what it tells of the task still
    # counts: a late received_at or worker fills in what is missing, a late start the start.
    assignments = [
        f"{column} = CASE WHEN {ahead} THEN {value} ELSE history_run.{column} END"
        for column, value in sets.items()
    ]
    assignments += [
        "trigger_raw = CASE WHEN "
        f"{ahead} THEN {merged('history_run.trigger_raw', 'EXCLUDED.trigger_raw')} "
        f"ELSE {merged('EXCLUDED.trigger_raw', 'history_run.trigger_raw')} END",
        "started_at = COALESCE(history_run.started_at, EXCLUDED.started_at)",
    ]
    return (
        f"INSERT INTO history_run ({columns}) VALUES ({placeholders}) "
        f"ON CONFLICT (uid) DO UPDATE SET {', '.join(assignments)} "
        "WHERE history_run.kind = 'task'"
    )
