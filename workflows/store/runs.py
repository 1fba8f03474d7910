"""Run rows: creating a run, and cancelling one with its descendants."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from history.models import Run

from .. import metrics, queue
from ..redact import redact
from . import counters


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
    counters.add_txn(metrics.run_started(run.slug))
    queue.enqueue_on_commit(run.pk)
    return run


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
        counters.count_canceled_txn(run_pk)
    return bool(canceled)


def cancel_descendants_txn(run_pk: int) -> None:
    """Cancel every active child, grandchild… of a run; a running one stops at its next step."""
    frontier = [run_pk]
    while frontier:
        children = Run.objects.filter(parent_id__in=frontier, status__in=Run.ACTIVE).values_list(
            "pk", flat=True
        )
        frontier = [pk for pk in list(children) if cancel_run_txn(pk)]
