"""The fingerprint of a failure: its error type and its message with the variable parts replaced,
so "CRM timed out after 30s" and "CRM timed out after 31s" are one kind of failure.

Pure functions with no app imports: the store writes the fingerprint when a run fails, the
seeder and the migration that fills older runs compute the same one.
"""

from __future__ import annotations

import hashlib
import re

# Only the start of a long message counts: it names the failure, and the rest is often a dump.
# The replacements run over a longer start, so a variable part's length never moves the cut.
FINGERPRINTED_CHARS = 500
REPLACED_CHARS = 4000
FINGERPRINT_LENGTH = 16
# Quoted text longer than this is data, not an identifier ('email', 'NoneType').
IDENTIFIER_CHARS = 32

_VARIABLE_QUOTE = re.compile(rf"[\d\s]|.{{{IDENTIFIER_CHARS + 3},}}", re.DOTALL)


def _quoted(match: re.Match[str]) -> str:
    """<str> for quoted text that looks variable: a digit or a space in it, or long. Short
    identifiers ('email', 'NoneType') name the failure and stay."""
    return "<str>" if _VARIABLE_QUOTE.search(match.group()) else match.group()


# In this order: a URL or an e-mail address holds numbers and quotes of its own.
_VARIABLE_PARTS = (
    # First: a quote that spans lines is one quote, and no later pass finds a new one.
    (re.compile(r"\s+"), " "),
    # No word boundary: the digits glued before a URL become <n>, and the next pass would find it.
    (re.compile(r"[a-z][a-z0-9+.-]*://[^\s'\"<>]+", re.IGNORECASE), "<url>"),
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "<email>"),
    (
        re.compile(
            r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE
        ),
        "<id>",
    ),
    (re.compile(r"\brun_[0-9a-f]{32}\b", re.IGNORECASE), "<id>"),
    # A quote that is not an apostrophe (no letter, digit or placeholder just outside it, as
    # a number glued to it becomes one). Both kinds in one pass, paired left to right (a double
    # quote inside single ones is text); only those that look variable are replaced.
    (re.compile(r"(?<![\w'>])'[^'\n]*'(?![\w'<])" r'|"[^"\n]*"'), _quoted),
    # Long hex runs even glued to a word (hook_<token>): a word boundary would leave the letters
    # of a hook token for viewers to read. After the quotes, which judge their text as written;
    # <n> as for any number, so a long number and a short one are one kind.
    (re.compile(r"[0-9a-f]{16,}", re.IGNORECASE), "<n>"),
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
)


def error_pattern(message: str) -> str:
    """The message with numbers, ids, hex, quoted strings, e-mail addresses and URLs replaced by
    placeholders (``<n>``, ``<id>``, ``<str>``, ``<email>``, ``<url>``), cut to
    FINGERPRINTED_CHARS; idempotent (short of odd mixes of apostrophes and quotes).
    """
    text = message[:REPLACED_CHARS]
    for pattern, placeholder in _VARIABLE_PARTS:
        text = pattern.sub(placeholder, text)
    return text.strip()[:FINGERPRINTED_CHARS].strip()


def step_key(step_id: str) -> str:
    """The step's key without its numbering: ``step:lookup#2/0`` is ``lookup``."""
    return step_id.removeprefix("step:").rpartition("#")[0] or step_id.removeprefix("step:")


def error_fingerprint(
    error_type: str | None, message: str | None, step_id: str | None = None
) -> str:
    """A short hex digest of the type, the failing step's key and the message's pattern: the
    same for one kind of failure.
    """
    step = step_key(step_id) if step_id else ""
    key = f"{error_type or ''}\n{step}\n{error_pattern(message or '')}"
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:FINGERPRINT_LENGTH]


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def fingerprint_of(error: object) -> str:
    """The fingerprint of a run's ``error`` column (a dict with ``type``, ``message`` and
    ``step_id``), or "" when there is none. The store, the seeder and the backfill all call it."""
    if not isinstance(error, dict):
        return ""
    return error_fingerprint(
        _text(error.get("type")), _text(error.get("message")), _text(error.get("step_id"))
    )
