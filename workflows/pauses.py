"""Pausing and resuming a workflow or agent in one organization, audited.

While a workflow is paused, its runs are still created (queued) but no worker picks one up:
the claim holds every queued run of it, whatever queued it (a start, a trigger, a retry, a
child start, a wake-up), and the sweeper leaves them be. Runs a worker holds go on until they
finish or suspend; sleeping and waiting runs keep their timers and hooks, and once woken wait
in the queue with the rest. Resuming sends every held run, in batches.
"""

from __future__ import annotations

from django.db import transaction

from history import pauses
from history.access import Actor
from history.models import Run

from . import store
from .registry import registry


@transaction.atomic(durable=True)
def pause(actor: Actor, slug: str, reason: str = "") -> bool:
    """Pause ``slug`` for the actor's organization; False (and no audit) if it already was."""
    if not store.pause_txn(actor.organization.pk, slug, actor.label, reason):
        return False
    actor.audit("workflow.pause", slug, reason=reason)
    return True


def resume(actor: Actor, slug: str, reason: str = "") -> bool:
    """Lift the pause and send the runs it held; False (and no audit) if it was not paused."""
    organization_id = actor.organization.pk
    with transaction.atomic(durable=True):
        if not store.unpause_txn(organization_id, slug):
            return False
        held = Run.objects.filter(
            organization_id=organization_id, slug=slug, status=Run.Status.QUEUED
        ).count()
        actor.audit("workflow.resume", slug, reason=reason, queued_runs=held)
    store.send_held(organization_id, slug)  # after the commit: workers may claim them now
    return True


def targets() -> list[pauses.Target]:
    return [pauses.Target(d.slug, d.kind) for d in registry.workflows()]


def provide_to_history() -> None:
    pauses.provide(targets, pause=pause, resume=resume)
