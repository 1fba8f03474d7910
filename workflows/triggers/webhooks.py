"""Who may call a webhook: its secret as ``?token=``, or an HMAC signature of the body."""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import time
from collections.abc import Mapping
from typing import Any

from history.models import Organization, TriggerState

from ..errors import Unauthorized
from ..redact import redact
from .definitions import Webhook

SIGNATURE_HEADER = "X-Keystroke-Signature"
_HEX_DIGEST = re.compile(r"[0-9a-fA-F]{64}")
TOLERANCE_SECONDS = 300
# Credentials and the signature stay out of the run's raw trigger value.
_DROPPED_HEADERS = {"authorization", "cookie", "x-api-key", SIGNATURE_HEADER.lower()}


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The X-Keystroke-Signature value for ``body``: ``t=<unix seconds>,v1=<hex HMAC-SHA256>``."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def authenticate(
    webhook: Webhook, token: str, signature: str, body: bytes, now: float | None = None
) -> tuple[Organization, str]:
    """The organization whose secret the request proves, and how (``token`` or ``signature``)."""
    rows = (
        TriggerState.objects.filter(key=webhook.slug)
        .exclude(secret="")
        .select_related("organization")
    )
    if token:
        for row in rows:
            if hmac.compare_digest(row.secret.encode(), token.encode()):
                return row.organization, "token"
        raise Unauthorized(
            f"The token is not the secret of webhook {webhook.slug}: "
            f"`keystroke triggers url {webhook.slug}` prints the URL with it."
        )
    if signature:
        timestamp, digests = _parse(signature)
        age = (time.time() if now is None else now) - timestamp
        if abs(age) > TOLERANCE_SECONDS:
            seconds = math.ceil(abs(age))
            when = f"{seconds} seconds old" if age > 0 else f"{seconds} seconds in the future"
            raise Unauthorized(
                f"The {SIGNATURE_HEADER} timestamp is {when}; signatures are accepted within "
                f"{TOLERANCE_SECONDS} seconds of now: sign each delivery when it is sent, with a "
                "clock in time."
            )
        for row in rows:
            expected = _digest(row.secret, timestamp, body).encode()
            if any(hmac.compare_digest(expected, digest) for digest in digests):
                return row.organization, "signature"
        raise Unauthorized(
            f"The {SIGNATURE_HEADER} does not match the body: "
            "sign '<t>.<raw body>' with HMAC-SHA256 and the webhook's secret."
        )
    raise Unauthorized(
        f"Webhook {webhook.slug} needs its secret: add ?token=<secret> (`keystroke triggers url "
        f"{webhook.slug}`) or sign the body with the {SIGNATURE_HEADER} header."
    )


def signature_key(header: str, body: bytes, auth: str) -> str:
    """The delivery key of a signed delivery: what its signature signs, the timestamp and the body.

    Not the header's text, which a replay can spell differently (spaces, order, case, another
    v0=) while it proves the same thing.
    """
    if auth != "signature":
        return ""
    timestamp, _ = _parse(header)
    return f"signature:{hashlib.sha256(f'{timestamp}.'.encode() + body).hexdigest()}"


def raw_value(
    headers: Mapping[str, str], query: Mapping[str, str], body: bytes, auth: str
) -> dict[str, Any]:
    """What a run records of the request: headers and query without secrets, and a digest of the
    body.
    """
    kept = {name: value for name, value in headers.items() if name.lower() not in _DROPPED_HEADERS}
    return {
        "auth": auth,
        "headers": redact(kept),
        "query": redact({k: v for k, v in query.items() if k != "token"}),
        "body_sha256": hashlib.sha256(body).hexdigest(),
        "body_bytes": len(body),
    }


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def _parse(signature: str) -> tuple[int, list[bytes]]:
    parts = [part.strip().partition("=") for part in signature.split(",")]
    timestamps = [value for key, _, value in parts if key == "t"]
    digests = [
        value.lower().encode()
        for key, _, value in parts
        if key == "v1" and _HEX_DIGEST.fullmatch(value)
    ]
    if (
        len(timestamps) != 1
        or not (timestamps[0].isdecimal() and len(timestamps[0]) <= 12)
        or not digests
    ):
        raise Unauthorized(
            f"{SIGNATURE_HEADER} must look like t=<unix seconds>,v1=<hex HMAC-SHA256>."
        )
    return int(timestamps[0]), digests
