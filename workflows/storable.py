"""What a JSON column can hold: the checks and conversions the engine, the store and the API share.

PostgreSQL's jsonb refuses NUL characters and NaN/Infinity; a value with either would fail
every retry of the write, so it is refused or converted before it reaches the database.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .errors import OutputValidationError

# A \u0000 escape in JSON text, not the text "\\u0000" (a backslash then u0000), which is storable.
_JSON_NUL = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def has_json_nul(text: str) -> bool:
    return _JSON_NUL.search(text) is not None


def escape_json_nul(text: str) -> str:
    """JSON text whose NUL characters are spelled out as the four characters \\x00."""
    return _JSON_NUL.sub(r"\1\\\\x00", text)


def check_storable(value: Any, what: str) -> None:
    """Refuse values JSON columns cannot hold (NaN, Infinity, NUL): they would fail every retry."""
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise OutputValidationError(
            f"{what} returned a value that cannot be stored as JSON: {exc}"
        ) from None
    if has_json_nul(text):
        raise OutputValidationError(
            f"{what} returned text with a NUL character, which cannot be stored."
        )


def storable(value: Any) -> Any:
    """``value`` with NUL characters escaped and NaN made null: what a JSON column accepts."""
    text = escape_json_nul(json.dumps(value, default=str))
    return json.loads(text, parse_constant=lambda constant: None)
