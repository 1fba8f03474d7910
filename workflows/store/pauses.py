"""Pause rows, and sending a resumed workflow's held runs again."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from history.models import Run, WorkflowPause

from .. import queue

RESUME_BATCH = 500


def pause_txn(organization_id: int, slug: str, paused_by: str, reason: str) -> bool:
    """Pause ``slug`` in the organization; False if it already was (that pause stays as it is)."""
    _, created = WorkflowPause.objects.get_or_create(
        organization_id=organization_id,
        slug=slug,
        defaults={"paused_by": paused_by, "reason": reason, "paused_at": timezone.now()},
    )
    return created


def unpause_txn(organization_id: int, slug: str) -> bool:
    """Lift the pause; False if there was none. The held runs are sent by ``send_held``."""
    deleted, _ = WorkflowPause.objects.filter(organization_id=organization_id, slug=slug).delete()
    return bool(deleted)


def send_held(organization_id: int, slug: str, batch: int = RESUME_BATCH) -> int:
    """Send every queued run of ``slug`` in the organization, a batch per transaction, each
    batch's messages after it commits; how many were sent.

    Called after the resume commits, so a run queued meanwhile is sent at most twice, which the
    claim makes harmless; if the workflow is paused again halfway, the claim holds the rest.
    """
    sent, after = 0, 0
    while True:
        with transaction.atomic():
            pks = list(
                Run.objects.filter(
                    organization_id=organization_id,
                    slug=slug,
                    status=Run.Status.QUEUED,
                    pk__gt=after,
                )
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            # Marked sent now, so the sweeper does not send them again at once.
            Run.objects.filter(pk__in=pks, status=Run.Status.QUEUED).update(
                enqueued_at=timezone.now()
            )
            for pk in pks:
                queue.enqueue_on_commit(pk)
        sent += len(pks)
        if len(pks) < batch:
            return sent
        after = pks[-1]
