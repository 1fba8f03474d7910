"""Request bodies as JSON that can be stored and served again, or a clear reason why not.

Python's parser accepts what PostgreSQL's jsonb and UTF-8 cannot hold (NUL, lone surrogates),
numbers that are not finite (``1e999``), and nesting deep enough to exhaust the interpreter's
stack; each of those answered 500 somewhere after parsing. Here they are refused at the door.
"""

from __future__ import annotations

import json
import math
from typing import IO, Any

from django.conf import settings

from .errors import BadJSON, TooLarge

MAX_DEPTH = 64
DEFAULT_MAX_PAYLOAD = 1024 * 1024


def max_payload() -> int:
    return int(getattr(settings, "KEYSTROKE_WORKFLOWS", {}).get("MAX_PAYLOAD", DEFAULT_MAX_PAYLOAD))


def read_limited(stream: IO[bytes], limit: int | None = None) -> bytes:
    """The body, counted while it is read: a chunked body has no Content-Length to check first."""
    limit = max_payload() if limit is None else limit
    body = stream.read(limit + 1)
    if len(body) > limit:
        raise TooLarge(f"The body is over {limit} bytes, the limit (KEYSTROKE_MAX_PAYLOAD).")
    return body


def parse_json(raw: bytes, what: str = "The body") -> Any:
    """JSON as this server accepts it; BadJSON says why not, of ``what`` ("The body")."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadJSON(f"{what} is not UTF-8: byte {exc.start} cannot be decoded.") from None
    try:
        data = json.loads(
            text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_int
        )
    except RecursionError:
        raise BadJSON(f"The JSON is nested deeper than {MAX_DEPTH} levels, the limit.") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno} (char {exc.pos})"
        raise BadJSON(f"{what} is not valid JSON: {exc.msg} at {where}.") from None
    check_storable(data)
    return data


def check_storable(data: Any) -> None:
    """Depth, NUL and lone surrogates, in one walk that needs no recursion."""
    pending: list[tuple[Any, int]] = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            _check_text(value)
        elif isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise BadJSON(f"The JSON is nested deeper than {MAX_DEPTH} levels, the limit.")
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    _check_text(key)
                pending.append((item, depth + 1))


def _check_text(text: str) -> None:
    if "\x00" in text:
        raise BadJSON(
            "The JSON holds a NUL character (\\u0000), which cannot be stored; remove it."
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        message = (
            "The JSON holds a lone surrogate (such as \\ud800), which is not a character; "
            "remove it."
        )
        raise BadJSON(message) from None


def _refuse_constant(name: str) -> Any:
    raise BadJSON(f"{name} is not a JSON number; send a finite number or null.")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJSON(f"The number {text} is too large to store; send it as a string.")
    return value


def _int(text: str) -> int:
    if len(text) > 4300:  # Python's own limit on converting digits, which raises ValueError
        raise BadJSON(
            f"An integer of {len(text)} digits is too long to store; send it as a string."
        )
    return int(text)
