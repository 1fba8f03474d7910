"""Runs with one row of every kind that belongs to a run, and a census of those tables."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import models
from django.utils import timezone

from history.models import (
    AuditEvent,
    LogRecord,
    Organization,
    Run,
    Span,
    Step,
    TriggerDelivery,
    UsageItem,
)

DAY = timedelta(days=1)
TABLES: dict[str, type[models.Model]] = {
    "runs": Run,
    "steps": Step,
    "usage": UsageItem,
    "spans": Span,
    "logs": LogRecord,
    "deliveries": TriggerDelivery,
    "audit": AuditEvent,
}


def make_run(
    org: Organization,
    *,
    slug: str = "greeting",
    status: str = "success",
    age: timedelta | None = None,
    **fields: Any,
) -> Run:
    """A run that finished ``age`` ago (``None``: has not finished)."""
    now = timezone.now()
    finished = now - age if age is not None else None
    created = finished - timedelta(minutes=1) if finished else now
    return Run.objects.create(
        organization=org,
        project=org.default_project(),
        slug=slug,
        status=status,
        created_at=created,
        finished_at=finished,
        **fields,
    )


def with_rows(run: Run, delivered_ago: timedelta = 2 * DAY) -> Run:
    """Two steps, two usage lines (one on a step), a span, a log record and the delivery that
    started it.
    """
    now = timezone.now()
    step = Step.objects.create(
        run=run, position=0, step_id="step:greet#0", kind="action", status="success"
    )
    Step.objects.create(run=run, position=1, step_id="step:now#0", kind="now", status="success")
    UsageItem.objects.create(run=run, step=step, kind="service", service="clearbit", cost="0.01")
    UsageItem.objects.create(run=run, kind="duration", quantity=12, unit="ms")
    Span.objects.create(
        run=run, trace_id="a" * 32, span_id="b" * 16, name=f"workflow {run.slug}", started_at=now
    )
    LogRecord.objects.create(
        run=run, created_at=now, level="INFO", logger="keystroke.run", message="Run started"
    )
    TriggerDelivery.objects.create(
        organization=run.organization,
        trigger="signup",
        key=f"key-{run.pk}",
        created_at=now - delivered_ago,
        response={"run_id": run.public_id, "run_ids": [run.public_id]},
    )
    return run


def census() -> dict[str, int]:
    return {name: model.objects.count() for name, model in TABLES.items()}


def rows_of(run: Run) -> dict[str, int]:
    """The rows that belong to one run, by table (as ``with_rows`` makes them)."""
    return {
        "runs": Run.objects.filter(pk=run.pk).count(),
        "steps": Step.objects.filter(run_id=run.pk).count(),
        "usage": UsageItem.objects.filter(run_id=run.pk).count(),
        "spans": Span.objects.filter(run_id=run.pk).count(),
        "logs": LogRecord.objects.filter(run_id=run.pk).count(),
        "deliveries": TriggerDelivery.objects.filter(response__run_id=run.public_id).count(),
    }
