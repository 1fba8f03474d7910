"""Trigger state rows are made here, ahead of any read: one per organization for each trigger
and attachment the project defines, a webhook's with its secret. Reading a trigger never
makes its row (a missing one reads as a new one would: enabled, no slot, no secret yet).

The rows are synced after every ``migrate`` (a deploy, ``keystroke dev``, and the flush of a
transactional test, which sends ``post_migrate`` again), when an organization is created, and
by the beat before it fires triggers, so a trigger deployed without a migrate has its rows
within one beat.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps as global_apps

from history.models import Organization, TriggerState

from .. import store
from ..registry import registry
from .state import blank


def sync(organizations: Iterable[Organization] | None = None) -> None:
    """Make the rows missing for these organizations (all of them by default)."""
    keys = [
        key for t in registry.triggers.values() for key in (t.slug, *(a.id for a in t.attachments))
    ]
    chosen = Organization.objects.all()
    if organizations is not None:
        chosen = chosen.filter(pk__in=[organization.pk for organization in organizations])
    rows = TriggerState.objects.filter(organization__in=chosen, key__in=keys)
    if not keys or rows.count() == chosen.count() * len(keys):
        return  # the beat's usual answer: two counts, nothing to make
    have = set(rows.values_list("organization_id", "key"))
    store.add_states(
        [blank(org, key) for org in chosen for key in keys if (org.pk, key) not in have]
    )


def sync_after_migrate(apps: Any = global_apps, **_: Any) -> None:
    """``post_migrate`` of history, for every organization. (After a flush the default
    organization is made again through the model, and its ``post_save`` syncs it, whichever
    receiver runs first.)
    """
    try:
        apps.get_model("history", "TriggerState")
    except LookupError:  # migrated back to before triggers existed
        return
    sync()


def sync_new_organization(
    instance: Organization, created: bool, raw: bool = False, **_: Any
) -> None:
    """``post_save`` of an organization."""
    if created and not raw:
        sync([instance])
