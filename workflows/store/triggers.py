"""Deliveries: what a request with an Idempotency-Key answered."""

from __future__ import annotations

from typing import Any

from history.models import Organization, TriggerDelivery


def record_delivery_txn(
    organization: Organization,
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
        organization=organization,
        trigger=trigger,
        key=key,
        request_digest=digest,
        response=response,
        status_code=status_code,
    )
