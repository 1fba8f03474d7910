"""Paused workflows and agents as History and the API read them, and the engine's pause and
resume, handed over by the engine as it starts (``provide``; History never imports it).

A pause is per organization: while one stands, the workflow's queued runs wait for it to be
lifted, whatever queued them, and runs in a worker's hands go on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, OuterRef, Subquery

from .access import Actor
from .models import Organization, Run, RunQuerySet, WorkflowPause

Change = Callable[[Actor, str, str], bool]  # (actor, slug, reason) -> whether it changed


@dataclass(frozen=True)
class Target:
    """A workflow or agent the project defines, as History lists it."""

    slug: str
    kind: str


@dataclass
class _Engine:
    targets: Callable[[], list[Target]] = list
    changes: dict[str, Change] = field(default_factory=dict)


_engine = _Engine()


def provide(targets: Callable[[], list[Target]], pause: Change, resume: Change) -> None:
    """The engine's list of workflows and agents, and its audited pause and resume."""
    _engine.targets, _engine.changes = targets, {"pause": pause, "resume": resume}


def change(action: str, actor: Actor, slug: str, reason: str = "") -> bool:
    """Pause or resume ``slug`` as ``actor`` (an operator; the engine audits it); False if it
    already was so."""
    do = _engine.changes.get(action)
    if do is None:
        raise ImproperlyConfigured(
            f"No engine provides {action!r} for workflows: is workflows in INSTALLED_APPS?"
        )
    return do(actor, slug, reason)


def targets() -> list[Target]:
    return _engine.targets()


def pauses_of(organization: Organization) -> dict[str, WorkflowPause]:
    return {p.slug: p for p in WorkflowPause.objects.filter(organization=organization)}


def queued_counts(organization: Organization) -> dict[str, int]:
    """Queued runs per slug, in one query (the organization-and-status index)."""
    rows = (
        Run.objects.for_organization(organization.pk)
        .filter(status=Run.Status.QUEUED)
        .order_by()
        .values("slug")
        .annotate(n=Count("id"))
    )
    return {row["slug"]: row["n"] for row in rows}


def held_by(run: Run) -> WorkflowPause | None:
    """The pause holding a queued run, if its workflow is paused."""
    if run.status != Run.Status.QUEUED:
        return None
    return WorkflowPause.objects.filter(organization_id=run.organization_id, slug=run.slug).first()


def with_held_by(runs: RunQuerySet) -> RunQuerySet:
    """Each run with ``held_by``: who paused its workflow, for a list (no query of its own)."""
    pauses = WorkflowPause.objects.filter(
        organization_id=OuterRef("organization_id"), slug=OuterRef("slug")
    )
    return runs.annotate(held_by=Subquery(pauses.values("paused_by")[:1]))


def describe(pause: WorkflowPause | None) -> dict[str, Any]:
    """The pause fields of a workflow or agent in the API."""
    return {
        "paused": pause is not None,
        "paused_by": pause.paused_by if pause else None,
        "paused_at": pause.paused_at if pause else None,
        "pause_reason": pause.reason if pause else None,
    }


@dataclass(frozen=True)
class Row:
    target: Target
    pause: WorkflowPause | None
    queued: int


def rows(organization: Organization) -> list[Row]:
    """Every workflow and agent with its pause and queued run count, in two queries."""
    pauses, queued = pauses_of(organization), queued_counts(organization)
    return [Row(t, pauses.get(t.slug), queued.get(t.slug, 0)) for t in targets()]
