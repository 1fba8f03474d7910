"""What the engine's API reads of a request: its size-limited JSON body and its Idempotency-Key."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.request import Request

from history.errors import PayloadTooLarge

from ..conf import engine_settings

IDEMPOTENCY_KEY_LIMIT = 200


def read_json(request: Request) -> Any:
    """The JSON body: 413 past KEYSTROKE_MAX_PAYLOAD, 415 when not JSON, 400 when malformed or
    not storable (history.parsers counts a chunked body while reading it)."""
    check_size(request)
    return request.data


def check_size(request: Request) -> None:
    """413 when the declared Content-Length is past KEYSTROKE_MAX_PAYLOAD: refused unread."""
    limit = engine_settings()["MAX_PAYLOAD"]
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ParseError("Content-Length is not a number.") from None
    if length > limit:
        raise PayloadTooLarge(
            f"The body is {length} bytes; the limit is {limit} (KEYSTROKE_MAX_PAYLOAD)."
        )


def idempotency_key(request: Request) -> str:
    """The request's Idempotency-Key ("" for none): at most 200 printable ASCII characters."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > IDEMPOTENCY_KEY_LIMIT:
        raise ParseError(
            f"Idempotency-Key is {len(key)} characters; the limit is {IDEMPOTENCY_KEY_LIMIT}."
        )
    if not all(" " <= char <= "~" for char in key):
        raise ParseError(
            "Idempotency-Key may hold printable ASCII characters only; a UUID is a good key."
        )
    return key
