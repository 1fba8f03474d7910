"""Issuing and revoking API keys, each audited in the same transaction."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from .access import Actor
from .models import ApiKey


@transaction.atomic(durable=True)
def issue_api_key(actor: Actor, name: str, role: str) -> tuple[ApiKey, str]:
    """A new key and its raw value, with its audit record in the same transaction."""
    key, raw = ApiKey.issue(actor.organization, name, role)
    actor.audit("api_key.create", key.public_id, name=key.name, role=key.role)
    return key, raw


@transaction.atomic(durable=True)
def revoke_api_key(actor: Actor, key: ApiKey) -> bool:
    """Revoke a key once; False when it already was."""
    if not ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    ):
        return False
    actor.audit("api_key.revoke", key.public_id, name=key.name)
    key.refresh_from_db()
    return True
