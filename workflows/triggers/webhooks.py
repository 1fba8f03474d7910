"""Who may call a webhook: a delivery proven by its secret, the way its ``verify`` scheme says
(``workflows.triggers.senders``), in the organization whose secret it is.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any

from history.models import Organization, TriggerState

from ..errors import Unauthorized
from ..redact import redact
from .definitions import Webhook
from .senders import PROOF_HEADERS, SCHEMES, Delivery, KeystrokeScheme, Proof

# Credentials and signatures stay out of the run's raw trigger value.
_DROPPED_HEADERS = {"authorization", "cookie", "x-api-key", *PROOF_HEADERS}


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The X-Keystroke-Signature value for ``body``: ``t=<unix seconds>,v1=<hex HMAC-SHA256>``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return KeystrokeScheme().sign(secret, body, timestamp)


def authenticate(
    webhook: Webhook,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    body: bytes,
    now: float | None = None,
) -> tuple[Organization, Proof]:
    """The organization whose secret the delivery proves, and the proof."""
    scheme = SCHEMES[webhook.verify]
    rows = list(
        TriggerState.objects.filter(key=webhook.slug)
        .exclude(secret="")
        .select_related("organization")
        .order_by("organization_id")
    )
    if scheme.name != "keystroke" and query.get("token"):
        raise Unauthorized(
            f"Webhook {webhook.slug} takes {scheme.label} deliveries, signed by the sender; a "
            "?token= is not accepted."
        )
    if not rows and scheme.sender_makes_secret:
        raise Unauthorized(
            f"Webhook {webhook.slug} has no {scheme.label} signing secret yet: copy it from the "
            f"sender and run `keystroke triggers secret {webhook.slug} --set`."
        )
    delivery = Delivery(headers, query, body, time.time() if now is None else now)
    proof = scheme.prove(webhook.slug, delivery, [row.secret for row in rows])
    return next(row.organization for row in rows if row.secret == proof.secret), proof


def raw_value(
    headers: Mapping[str, str], query: Mapping[str, str], body: bytes, proof: Proof
) -> dict[str, Any]:
    """What a run records of the request: headers and query without secrets, and a digest of the
    body.
    """
    kept = {name: value for name, value in headers.items() if name.lower() not in _DROPPED_HEADERS}
    raw = {
        "auth": proof.auth,
        "headers": redact(kept),
        "query": redact({k: v for k, v in query.items() if k != "token"}),
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_bytes": len(body),
    }
    if proof.delivery_id:
        raw["delivery_id"] = proof.delivery_id
    return raw
