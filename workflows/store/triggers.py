"""Trigger state rows (a trigger's or attachment's switch, slot, cursor, secret and last run, per
organization) and deliveries (what a request with an Idempotency-Key answered).

A state row is made by ``add_states`` (the sync) or, where a write needs one that is not there
yet, from the blank row the caller hands over; reading one never makes it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from history.models import Run, TriggerDelivery, TriggerState


def add_states(rows: list[TriggerState]) -> None:
    """Insert these blank rows, leaving alone any that another process inserted first."""
    TriggerState.objects.bulk_create(rows, ignore_conflicts=True)


def lock_state_txn(blank: TriggerState) -> TriggerState:
    """The row of ``blank``'s organization and key, locked until the transaction ends (two beats
    firing one slot take turns here); made from ``blank`` if there is none yet.
    """
    rows = TriggerState.objects.select_for_update().filter(
        organization_id=blank.organization_id, key=blank.key
    )
    row = rows.first()
    if row is None:
        add_states([blank])
        row = rows.get()
    return row


def take_slot_txn(row: TriggerState, slot: datetime) -> None:
    row.last_slot = slot
    row.save(update_fields=["last_slot"])


def record_trigger_error(row: TriggerState, message: str, at: datetime | None) -> None:
    """Why the trigger's last slot or tick failed (an empty message and no time: it went well)."""
    row.last_error, row.last_error_at = message, at
    row.save(update_fields=["last_error", "last_error_at"])


def save_cursor_txn(row: TriggerState, cursor: Any, error: str, error_at: datetime | None) -> None:
    """A poll's new cursor with how its tick went, written after the tick's runs, in their
    transaction.
    """
    row.cursor, row.last_error, row.last_error_at = cursor, error, error_at
    row.save(update_fields=["cursor", "last_error", "last_error_at"])


def set_enabled_txn(row: TriggerState, on: bool) -> None:
    row.enabled = on
    row.save(update_fields=["enabled"])


def set_secret_txn(row: TriggerState, secret: str) -> None:
    row.secret = secret
    row.save(update_fields=["secret"])


def mark_fired_txn(blanks: list[TriggerState], run: Run, now: datetime) -> None:
    """Record ``run`` as the last of these rows (a trigger and its attachment), making the ones
    missing from their blanks.
    """
    rows = TriggerState.objects.filter(
        organization_id=blanks[0].organization_id, key__in=[blank.key for blank in blanks]
    )
    if rows.update(last_fired_at=now, last_run=run) < len(blanks):
        add_states(blanks)
        rows.update(last_fired_at=now, last_run=run)


def record_skip_txn(blank: TriggerState, slot: datetime, reason: str) -> None:
    """A schedule slot this attachment let pass (its target was paused), on the attachment's row."""
    rows = TriggerState.objects.filter(organization_id=blank.organization_id, key=blank.key)
    if not rows.update(last_skipped_slot=slot, last_skip_reason=reason):
        add_states([blank])
        rows.update(last_skipped_slot=slot, last_skip_reason=reason)


def record_delivery_txn(
    organization_id: int,
    trigger: str,
    key: str,
    digest: str,
    response: dict[str, Any],
    status_code: int = 202,
) -> None:
    """What a request with an Idempotency-Key answered, in the transaction that started its runs.

    A concurrent request with the same key fails here on the unique key, and its runs roll back.
    """
    TriggerDelivery.objects.create(
        organization_id=organization_id,
        trigger=trigger,
        key=key,
        request_digest=digest,
        response=response,
        status_code=status_code,
    )
