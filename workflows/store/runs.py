"""Run rows: the one way a run is created, and the writes of a cancel, a retry and a rerun."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from history.defaults import default_project_id
from history.models import Run

from .. import metrics, queue, versions
from ..origins import RunOrigin
from ..redact import redact
from . import counters, slugs, steps
from .wakeups import settle_parent_step_txn


def create_run_txn(
    workflow: Any,
    input: dict[str, Any],
    origin: RunOrigin,
    step_numbering: int = Run.StepNumbering.PER_BRANCH,
    version: str | None = None,
) -> Run:
    """A queued run of ``workflow``, started as ``origin`` says; its message is sent after
    commit. ``step_numbering`` and ``version`` are the original's for a run that replays another's
    steps; otherwise the run is on the version this process runs.
    """
    now = timezone.now()
    project_id = origin.project_id or default_project_id(origin.organization_id)
    run = Run.objects.create(
        kind=workflow.kind,
        slug=workflow.slug,
        input=input,
        status=Run.Status.QUEUED,
        created_at=now,
        queued_at=now,
        enqueued_at=now,
        deadline_at=now + workflow.timeout if workflow.timeout else None,
        organization_id=origin.organization_id,
        project_id=project_id,
        actor=origin.actor,
        actor_user_id=origin.actor_user_id,
        actor_api_key_id=origin.actor_api_key_id,
        trigger_type=origin.trigger_type,
        trigger_label=origin.label,
        trigger_id=origin.trigger_id,
        # what a trigger received: a header, a query or a polled item may carry a secret
        trigger_raw=redact(dict(origin.raw)),
        parent_id=origin.parent_id,
        rerun_of_id=origin.rerun_of_id,
        step_numbering=step_numbering,
        version=versions.current() if version is None else version,
        has_workspace=bool(getattr(workflow, "workspace", False)),
    )
    counters.add_txn(metrics.run_started(run.slug))
    slugs.note_txn(run.organization_id, run.slug, run.kind, now)
    queue.enqueue_on_commit(run.pk)
    return run


def lock_run_txn(run_pk: int) -> bool:
    """Lock the run until the transaction ends; False if it is gone (deleted by the prune)."""
    return Run.objects.select_for_update().filter(pk=run_pk).exists()


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


def cancel_queued_task_txn(run_pk: int) -> bool:
    """Cancel a Celery task's run that is still queued (its revoke is the caller's)."""
    return bool(
        Run.objects.filter(pk=run_pk, kind=Run.Kind.TASK, status=Run.Status.QUEUED).update(
            status=Run.Status.CANCELED, finished_at=timezone.now()
        )
    )


def cancel_tree_txn(run: Run) -> bool:
    """Cancel an active run with its active descendants, and fail the parent step waiting on it;
    False if the run is not active (any more).
    """
    if not cancel_run_txn(run.pk):
        return False
    cancel_descendants_txn(run.pk)
    if run.parent_id:
        settle_parent_step_txn(run, Run.Status.CANCELED, None)
    return True


def cancel_descendants_txn(run_pk: int) -> None:
    """Cancel every active child, grandchild… of a run; a running one stops at its next step."""
    frontier = [run_pk]
    while frontier:
        children = Run.objects.filter(parent_id__in=frontier, status__in=Run.ACTIVE).values_list(
            "pk", flat=True
        )
        frontier = [pk for pk in list(children) if cancel_run_txn(pk)]


def retry_run_txn(run: Run, timeout: timedelta | None) -> bool:
    """Queue a failed or canceled run again in place, as its next attempt, without the steps it
    runs again; False if it is neither (any more).

    Its ``timeout`` counts again from now, or an old deadline would fail it at once.
    """
    now = timezone.now()
    updated = Run.objects.filter(
        pk=run.pk, status__in=(Run.Status.FAILED, Run.Status.CANCELED)
    ).update(
        deadline_at=now + timeout if timeout else None,
        status=Run.Status.QUEUED,
        attempt=run.attempt + 1,
        error=None,
        error_fingerprint="",
        output=None,
        finished_at=None,
        duration_ms=None,
        wake_at=None,
        queued_at=now,
        enqueued_at=now,
    )
    if not updated:
        return False
    steps.forget_unfinished_steps_txn(run)
    queue.enqueue_on_commit(run.pk)
    return True
