"""The database side of triggers: reading state rows, webhook URLs, enabling and disabling
(audited).
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from history.access import Actor
from history.models import Organization, TriggerState

from .. import store
from ..conf import engine_settings
from ..errors import InvalidSecret, InvalidState, NotHere, UnknownTrigger
from ..registry import registry
from .cron import next_slot
from .definitions import Attachment, Trigger, Webhook
from .senders import SCHEMES

DEFAULT_ORGANIZATION = "default"  # Organization.objects.default()'s slug


def fires_in(organization: Organization, trigger: Trigger) -> bool:
    """Webhooks start runs in the organization whose secret a request proves; schedules and polls in
    the default.
    """
    return trigger.type == "webhook" or organization.slug == DEFAULT_ORGANIZATION


def find(slug: str) -> tuple[Trigger, Attachment | None]:
    """The trigger named by ``slug``, or by the attachment id ``<trigger>:<target>``, and that
    attachment.
    """
    trigger_slug, _, target = slug.partition(":")
    trigger = registry.triggers.get(trigger_slug)
    attachment = (
        next((a for a in trigger.attachments if a.target.slug == target), None) if trigger else None
    )
    if trigger is None or (target and attachment is None):
        raise UnknownTrigger(
            f"No trigger {slug!r} is defined: `keystroke triggers list` shows them."
        )
    return trigger, attachment


def blank(organization: Organization, key: str) -> TriggerState:
    """A new row of a trigger or attachment, not saved; a webhook's has its secret."""
    trigger = registry.triggers.get(key)
    secret = SCHEMES[trigger.verify].new_secret() if isinstance(trigger, Webhook) else ""
    return TriggerState(organization=organization, key=key, secret=secret)


def state(organization: Organization, key: str) -> TriggerState:
    """The row of a trigger or attachment; one not synced yet reads as a new row, without its secret
    (``workflows.triggers.sync`` makes the rows, reading never does).
    """
    row = TriggerState.objects.filter(organization=organization, key=key).first()
    return row or TriggerState(organization=organization, key=key)


def locked_state_txn(organization: Organization, key: str) -> TriggerState:
    """The row, locked until the transaction ends: two beats firing one slot take turns here."""
    return store.lock_state_txn(blank(organization, key))


def enabled(organization: Organization, attachment: Attachment) -> bool:
    rows = TriggerState.objects.filter(
        organization=organization, key__in=(attachment.trigger.slug, attachment.id)
    )
    return all(rows.values_list("enabled", flat=True))


@transaction.atomic(durable=True)
def set_enabled(actor: Actor, slug: str, on: bool) -> TriggerState:
    """Enable or disable a trigger or one attachment, without a deploy; recorded in the audit
    log.
    """
    trigger, _ = find(slug)
    if not fires_in(actor.organization, trigger):
        raise NotHere(
            f"{trigger.type.capitalize()} {trigger.slug} fires in the default organization only."
        )
    row = locked_state_txn(actor.organization, slug)
    if row.enabled != on:
        store.set_enabled_txn(row, on)
        actor.audit("trigger.enable" if on else "trigger.disable", slug)
    return row


def webhook_url(trigger: Webhook, row: TriggerState, with_token: bool) -> str:
    """The URL to give the sender; a Keystroke-verified webhook's carries its secret as
    ``?token=`` for those allowed to see it.
    """
    base = engine_settings()["PUBLIC_URL"].rstrip("/")
    url = f"{base}/triggers/{trigger.endpoint}"
    token = with_token and row.secret and trigger.verify == "keystroke"
    return f"{url}?token={row.secret}" if token else url


@transaction.atomic(durable=True)
def set_secret(actor: Actor, slug: str, secret: str | None) -> TriggerState:
    """Give a webhook the sender's secret, or a new one of its scheme's form (``None``); recorded
    in the audit log (without the secret). Deliveries signed with the old one are refused from now.
    """
    trigger, attachment = find(slug)
    if not isinstance(trigger, Webhook) or attachment is not None:
        raise InvalidState(f"{slug} is not a webhook: only a webhook trigger has a secret.")
    scheme = SCHEMES[trigger.verify]
    if secret is None:
        if scheme.sender_makes_secret:
            raise InvalidState(
                f"{scheme.label} makes webhook {slug}'s signing secret: copy it from the sender "
                f"and set it with `keystroke triggers secret {slug} --set`."
            )
        secret = scheme.new_secret()
    elif error := scheme.secret_error(secret):
        raise InvalidSecret(f"secret: {error}")
    row = locked_state_txn(actor.organization, slug)
    # A delivery goes to the organization whose secret proves it: two may not share one.
    if (
        TriggerState.objects.filter(key=slug, secret=secret)
        .exclude(organization=actor.organization)
        .exists()
    ):
        raise InvalidSecret(
            f"secret: another organization's webhook {slug} has this secret; each organization's "
            "sender must sign with a secret of its own."
        )
    store.set_secret_txn(row, secret)
    actor.audit("trigger.secret", slug)
    return row


def states(organization: Organization, keys: list[str]) -> dict[str, TriggerState]:
    """The rows of several triggers and attachments in one query, with their last runs (as ``state``
    reads them).
    """
    found = TriggerState.objects.filter(organization=organization, key__in=keys).select_related(
        "last_run"
    )
    known = {row.key: row for row in found}
    return {key: known.get(key) or TriggerState(organization=organization, key=key) for key in keys}


def describe(
    actor: Actor,
    trigger: Trigger,
    attachment: Attachment | None,
    known: dict[str, TriggerState] | None = None,
) -> dict[str, Any]:
    """A row of ``GET /api/triggers``: an attachment (``slug`` is its id) or a trigger without
    one.
    """
    slug = attachment.id if attachment else trigger.slug
    known = known or states(actor.organization, [trigger.slug, slug])
    trigger_row, own_row = known[trigger.slug], known[slug]
    cron = getattr(trigger, "cron", None) if fires_in(actor.organization, trigger) else None
    return {
        "slug": slug,
        "trigger": trigger.slug,
        "type": trigger.type,
        "workflow": attachment.target.slug if attachment else "",
        "enabled": trigger_row.enabled
        and own_row.enabled
        and fires_in(actor.organization, trigger),
        "url": webhook_url(trigger, trigger_row, with_token=actor.can("admin"))
        if isinstance(trigger, Webhook)
        else "",
        "verify": getattr(trigger, "verify", ""),
        # the secret a sender signs with, for admins: "" until a sender-made one is set
        "secret": trigger_row.secret
        if isinstance(trigger, Webhook) and actor.can("admin")
        else None,
        "cron": cron or "",
        "timezone": getattr(trigger, "timezone", ""),
        "next_fire_at": next_slot(cron, trigger.zone, timezone.now()) if cron else None,  # type: ignore[attr-defined]
        "last_fired_at": own_row.last_fired_at,
        "last_run": {"id": own_row.last_run.public_id, "status": own_row.last_run.status}
        if own_row.last_run
        else None,
        "last_error": trigger_row.last_error,
        # a schedule slot this attachment let pass while its target was paused
        "last_skipped_slot": own_row.last_skipped_slot,
        "last_skip_reason": own_row.last_skip_reason,
        "source": trigger.source,
    }


def rows(actor: Actor) -> list[dict[str, Any]]:
    """Every attachment of every trigger, and the triggers with none; the state rows in one
    query.
    """
    triggers = sorted(registry.triggers.values(), key=lambda t: t.slug)
    known = states(
        actor.organization,
        [key for t in triggers for key in (t.slug, *(a.id for a in t.attachments))],
    )
    listed = []
    for trigger in triggers:
        listed += [describe(actor, trigger, a, known) for a in trigger.attachments] or [
            describe(actor, trigger, None, known)
        ]
    return listed
