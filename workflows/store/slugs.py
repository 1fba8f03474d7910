"""The slugs each organization has run (``history.models.RunSlug``), recorded as a run is
created: one INSERT the first time a process creates a run of a slug in an organization, none
after, so the submit path gains no statement in steady state.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from history.models import RunSlug

# (organization id, slug) known to be recorded: filled after the INSERT commits, so a rolled back
# first run is recorded by the next one. Each process holds its own; a restart costs one INSERT
# per slug, which ON CONFLICT makes harmless.
_recorded: set[tuple[int, str]] = set()


def note_txn(organization_id: int, slug: str, kind: str, now: datetime) -> None:
    """Record that the organization runs ``slug``, inside the caller's transaction, if this
    process has not seen it recorded yet."""
    key = (organization_id, slug)
    if key in _recorded:
        return
    RunSlug.objects.bulk_create(
        [RunSlug(organization_id=organization_id, slug=slug, kind=kind, first_seen=now)],
        ignore_conflicts=True,
    )
    transaction.on_commit(lambda: _recorded.add(key))
