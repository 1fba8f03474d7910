"""The fingerprint of a failure: its error type and its message with the variable parts replaced,
so "CRM timed out after 30s" and "CRM timed out after 31s" are one kind of failure.

Pure functions with no app imports: the store writes the fingerprint when a run fails, the
seeder and the migration that fills older runs compute the same one.
"""

from __future__ import annotations

import hashlib
import re

# Only the start of a long message counts: it names the failure, and the rest is often a dump.
FINGERPRINTED_CHARS = 500
FINGERPRINT_LENGTH = 16

# In this order: a URL or an e-mail address holds numbers and quotes of its own.
_VARIABLE_PARTS = (
    (re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE), "<url>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (
        re.compile(
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE
        ),
        "<id>",
    ),
    (re.compile(r"\brun_[0-9a-f]{32}\b", re.IGNORECASE), "<id>"),
    # A quote that is not an apostrophe: no letter or digit just outside it.
    (re.compile(r"(?<![\w'])'[^'\n]*'(?![\w'])"), "<str>"),
    (re.compile(r'"[^"\n]*"'), "<str>"),
    # Hex words with a digit (ids, hashes, addresses) and numbers, with decimals and separators.
    (
        re.compile(
            r"\b(?:0x)?(?=[0-9a-f]*\d)[0-9a-f]+(?:[.,:](?=[0-9a-f]*\d)[0-9a-f]+)*\b",
            re.IGNORECASE,
        ),
        "<n>",
    ),
    # Digits inside a word: 30s, v2, step3.
    (re.compile(r"\d+(?:[.,:]\d+)*"), "<n>"),
    (re.compile(r"\s+"), " "),
)


def error_pattern(message: str) -> str:
    """The message with numbers, ids, hex, quoted strings, e-mail addresses and URLs replaced by
    placeholders (``<n>``, ``<id>``, ``<str>``, ``<email>``, ``<url>``); idempotent.
    """
    text = message[:FINGERPRINTED_CHARS]
    for pattern, placeholder in _VARIABLE_PARTS:
        text = pattern.sub(placeholder, text)
    return text.strip()


def error_fingerprint(error_type: str | None, message: str | None) -> str:
    """A short hex digest of the type and the message's pattern: the same for one kind of
    failure.
    """
    key = f"{error_type or ''}\n{error_pattern(message or '')}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:FINGERPRINT_LENGTH]


def fingerprint_of(error: object) -> str:
    """The fingerprint of a run's ``error`` column (a dict with ``type`` and ``message``), or ""
    when there is none."""
    if not isinstance(error, dict):
        return ""
    error_type, message = error.get("type"), error.get("message")
    return error_fingerprint(
        error_type if isinstance(error_type, str) else None,
        message if isinstance(message, str) else None,
    )
