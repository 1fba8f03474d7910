"""Starting runs from triggers: a webhook delivery, a schedule slot, a poll tick, an invoke."""

from __future__ import annotations

import asyncio
import inspect
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from pydantic import BaseModel, ValidationError

from history.hook_tokens import cut
from history.models import Organization, Run, TriggerDelivery, WorkflowPause

from .. import store
from ..errors import TriggerFailed
from ..origins import RunOrigin
from ..redact import redact_text
from ..store import save_cursor_txn  # by name: a test stops a tick right there
from .cron import latest_slot
from .definitions import Attachment, Poll, Schedule, Trigger
from .state import blank, enabled, locked_state_txn, state

logger = logging.getLogger("keystroke.triggers")


@dataclass
class Fired:
    """What an event started: runs, or nothing and why."""

    runs: list[Run] = field(default_factory=list)
    skipped: str = ""

    def response(self) -> tuple[int, dict[str, Any]]:
        if not self.runs:
            return 200, {"ok": True, "skipped": True, "reason": self.skipped}
        return 202, {"run_id": self.runs[0].public_id, "run_ids": [r.public_id for r in self.runs]}


def start_txn(
    organization: Organization,
    trigger: Trigger,
    event: Any,
    raw: dict[str, Any],
    actor: str,
    only: Attachment | None = None,
    slot: datetime | None = None,
) -> Fired:
    """One run per enabled attachment accepting ``event``; raises TriggerFailed naming the
    attachment. For a schedule's ``slot``, an attachment with ``on_pause="skip"`` whose target
    is paused starts nothing and records the skip.
    """
    if not state(organization, trigger.slug).enabled:
        return Fired(skipped=f"trigger {trigger.slug} is disabled")
    try:
        if not trigger.accepts(event):
            return Fired(skipped=f"the filter of {trigger.slug} did not match")
    except Exception as exc:
        raise TriggerFailed(
            f"The filter of trigger {trigger.slug} raised {type(exc).__name__}: {exc}"
        ) from exc
    fired = Fired(skipped="every attachment is disabled")
    for attachment in [only] if only else trigger.attachments:
        if not enabled(organization, attachment):
            continue
        if slot is not None and _skips(organization, attachment):
            reason = f"slot skipped: {attachment.target.slug} is paused (on_pause='skip')"
            store.record_skip_txn(blank(organization, attachment.id), slot, reason)
            logger.info("schedule %s, slot %s: %s", trigger.slug, slot.isoformat(), reason)
            fired.skipped = reason
            continue
        fired.runs.append(_start_txn(organization, attachment, event, raw, actor))
    if not trigger.attachments:
        fired.skipped = f"nothing is attached to {trigger.slug}"
    return fired


def _skips(organization: Organization, attachment: Attachment) -> bool:
    return (
        attachment.on_pause == "skip"
        and WorkflowPause.objects.filter(
            organization=organization, slug=attachment.target.slug
        ).exists()
    )


def _start_txn(
    organization: Organization, attachment: Attachment, event: Any, raw: dict[str, Any], actor: str
) -> Run:
    try:
        input = attachment.input_for(event)
    except ValidationError as exc:
        raise TriggerFailed(
            f"{attachment.id}: the input made for {attachment.target.slug} is invalid: {exc}"
        ) from exc
    except Exception as exc:
        raise TriggerFailed(
            f"{attachment.id}: the transform raised {type(exc).__name__}: {exc}"
        ) from exc
    trigger = attachment.trigger
    origin = RunOrigin.trigger(
        organization.pk, trigger.type, trigger.slug, attachment.id, raw, actor
    )
    run = store.create_run_txn(attachment.target, input, origin)
    # the attachment's row carries its own last run, next to its trigger's
    rows = [blank(organization, trigger.slug), blank(organization, attachment.id)]
    store.mark_fired_txn(rows, run, timezone.now())
    return run


# -- webhooks ---------------------------------------------------------------------------------


def deliver(
    organization: Organization,
    trigger: Trigger,
    event: BaseModel,
    raw: dict[str, Any],
    actor: str,
    keys: tuple[str, ...] = (),
    only: Attachment | None = None,
) -> tuple[int, dict[str, Any]]:
    """A webhook delivery: its HTTP status and body; a repeat of any of ``keys`` answers as the
    first did.

    The keys are the sender's Idempotency-Key and what its proof names (``Proof.delivery_keys``):
    the sender's delivery id, which a redelivery repeats, and for a signature covering no delivery
    id what it signs, so a captured request replayed starts nothing either.
    """
    if first := _first_delivery(organization, trigger, keys):
        return first
    try:
        with transaction.atomic():
            status, body = start_txn(organization, trigger, event, raw, actor, only).response()
            for key in keys:
                store.record_delivery_txn(organization.pk, trigger.slug, key, "", body, status)
    except IntegrityError:
        # a concurrent delivery with one of these keys committed first: answer as it did
        if first := _first_delivery(organization, trigger, keys):
            return first
        raise
    return status, body


def _first_delivery(
    organization: Organization, trigger: Trigger, keys: tuple[str, ...]
) -> tuple[int, dict[str, Any]] | None:
    if not keys:
        return None
    first = TriggerDelivery.objects.filter(
        organization=organization, trigger=trigger.slug, key__in=keys
    ).first()
    return (first.status_code, first.response) if first else None


# -- schedules and polls ----------------------------------------------------------------------


def fire_schedule(trigger: Schedule, now: datetime) -> list[Run]:
    """Start the runs of the latest slot at or before ``now`` unless it already fired.

    A slot fires once: the trigger's row is locked while its slot is compared and advanced, so
    a second beat, or one restarted mid-slot, finds it taken. After downtime only the latest
    missed slot fires. A schedule seen for the first time waits for its next slot; a disabled
    one lets its slots pass, so enabling it does not fire a backlog.
    """
    organization = Organization.objects.default()
    slot = latest_slot(trigger.cron, trigger.zone, now)
    with transaction.atomic():
        row = locked_state_txn(organization, trigger.slug)
        previous = row.last_slot
        if previous is not None and slot <= previous:
            return []
        store.take_slot_txn(row, slot)
        if previous is None:
            return []
        raw = {"slot": slot.isoformat(), "cron": trigger.cron, "timezone": trigger.timezone}
        try:
            with transaction.atomic():  # the slot stays taken even when its runs cannot start
                runs = start_txn(
                    organization,
                    trigger,
                    trigger.payload,
                    raw,
                    f"trigger:{trigger.slug}",
                    slot=slot,
                ).runs
        except TriggerFailed as exc:
            logger.warning(
                "schedule %s could not start the runs of slot %s: %s", trigger.slug, slot, exc
            )
            store.record_trigger_error(row, cut(redact_text(str(exc)), 2000), timezone.now())
            return []
        if row.last_error:
            store.record_trigger_error(row, "", None)
        return runs


def invoke_schedule(
    organization: Organization,
    trigger: Schedule,
    raw: dict[str, Any],
    actor: str,
    only: Attachment | None,
) -> tuple[int, dict[str, Any]]:
    """Fire a schedule now, outside its slots (``keystroke triggers invoke``)."""
    with transaction.atomic():
        return start_txn(organization, trigger, trigger.payload, raw, actor, only).response()


def poll_due(trigger: Poll, now: datetime) -> bool:
    row = state(Organization.objects.default(), trigger.slug)
    return row.last_slot is None or latest_slot(trigger.cron, trigger.zone, now) > row.last_slot


def run_poll(
    trigger: Poll,
    now: datetime,
    organization: Organization | None = None,
    force: bool = False,
    actor: str = "",
) -> list[Run]:
    """One tick of a poll: take the slot, call ``run(state)``, start a run per item, then save the
    cursor.

    The runs and the new cursor are written in one transaction, the cursor last: a crash before
    it commits leaves both as they were, so the next tick fetches the same items again (at
    least once, never lost). A failing ``run`` is recorded on the trigger and retried on the
    next tick from the same cursor. ``force`` (an invoke) polls now, whatever the slot.
    """
    organization = organization or Organization.objects.default()
    slot = latest_slot(trigger.cron, trigger.zone, now)
    with transaction.atomic():
        row = locked_state_txn(organization, trigger.slug)
        if not force:
            if row.last_slot is not None and slot <= row.last_slot:
                return []
            store.take_slot_txn(row, slot)
        if not row.enabled:
            return []
        cursor = row.cursor
    try:
        items, new_cursor = _call(trigger, cursor)
    except Exception as exc:
        logger.warning(
            "poll %s failed; the next tick retries from the same cursor",
            trigger.slug,
            exc_info=True,
        )
        store.record_trigger_error(row, redact_text(f"{type(exc).__name__}: {exc}"), timezone.now())
        return []
    raw = {"slot": slot.isoformat(), "cursor": cursor, "forced": force}
    runs, problems = [], []
    with transaction.atomic():
        row = locked_state_txn(organization, trigger.slug)
        for index, item in enumerate(items):
            try:
                # a bad item is skipped and reported, not retried forever
                with transaction.atomic():
                    runs += start_txn(
                        organization,
                        trigger,
                        item,
                        raw | {"item": index},
                        actor or f"trigger:{trigger.slug}",
                    ).runs
            except TriggerFailed as exc:
                problems.append(f"item {index}: {exc}")
        # a slower, overlapping tick must not move the cursor back
        kept = new_cursor if row.cursor == cursor else row.cursor
        error = cut("; ".join(problems), 2000)
        save_cursor_txn(row, kept, error, timezone.now() if problems else None)
    return runs


def _call(trigger: Poll, cursor: Any) -> tuple[list[Any], dict[str, Any]]:
    current = trigger.state.model_validate(cursor or {})
    result = trigger.fn(current)
    if inspect.iscoroutine(result):  # an async run
        result = asyncio.run(result)
    if not (isinstance(result, tuple) and len(result) == 2):
        raise TypeError(
            f"run of poll {trigger.slug} must return (items, new_state), got "
            f"{type(result).__name__}"
        )
    items, new_state = result
    return list(items), trigger.state.model_validate(
        new_state.model_dump() if isinstance(new_state, BaseModel) else new_state
    ).model_dump(mode="json")
