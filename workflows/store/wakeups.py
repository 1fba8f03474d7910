"""Runs going back to the queue: woken by a hook or a finished child, by their timer, or by the
sweeper when their worker died or their message was lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from history.models import Run, Step, WorkflowPause

from .. import metrics, queue
from ..conf import engine_settings
from ..engine import Completed, Failed
from . import counters


def wake_run_txn(run_pk: int) -> None:
    """Tell a run something it waits on happened: requeue it if suspended, else mark it woken."""
    now = timezone.now()
    Run.objects.filter(pk=run_pk).update(wakeups=F("wakeups") + 1)
    if Run.objects.filter(pk=run_pk, status__in=Run.SUSPENDED).update(
        status=Run.Status.QUEUED, wake_at=None, queued_at=now, enqueued_at=now
    ):
        queue.enqueue_on_commit(run_pk)


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
            queue.enqueue_on_commit(run_pk)
            return True
    return False


def paused_runs() -> Any:
    """The pause of the outer run's workflow in its organization, for ``Exists``."""
    return WorkflowPause.objects.filter(
        organization_id=OuterRef("organization_id"), slug=OuterRef("slug")
    )


def _stale(now: datetime) -> Q:
    """Runs whose worker died (lease lapsed) or whose queue message seems lost."""
    stale_before = now - timedelta(seconds=engine_settings()["STALE_QUEUED_SECONDS"])
    # a paused workflow's queued runs are held, not lost: resuming it sends them
    lost = Q(status=Run.Status.QUEUED, enqueued_at__lt=stale_before) & ~Exists(paused_runs())
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
            counters.add_txn(metrics.SWEEPER_REQUEUE)
            queue.enqueue_on_commit(run_pk)
            return True
    return False
