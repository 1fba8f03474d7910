"""Hook tokens are credentials: whoever holds one resumes the hook, so only operators may see them.

Workflow code puts them anywhere: a payload, a log line, an exception, a span, the output. So
instead of masking field by field, every answer to someone below operator (pages, the API,
downloads, the admin) is searched as it leaves, in ``history.middleware``:

* resume URLs are masked by their shape, escaped (``\\/hooks\\/``, ``%2Fhooks%2F``) or cut
  short by a preview;
* every 40-character window of a run of hex digits is a candidate, and the candidates that
  are hook tokens (one query) are masked wherever they appear, glued to an escape like
  ``\\u00e9`` or not. Most such words (commit ids, digests) are not tokens and stay.

This module holds only the shapes, so the log formatter can use them without the database.
"""

from __future__ import annotations

import re
from collections.abc import Collection

HIDDEN = "[hidden from viewers]"
TOKEN_LENGTH = 40
HEX_RUN = re.compile(r"[0-9a-fA-F]{40,}")
# /hooks/<hex>, with its slashes escaped for JSON or a URL, and at least 16 hex digits that end
# the word (src/hooks/deleteUser.ts is not one; a token cut shorter loses its digits anyway).
HOOK_URL = re.compile(
    r"(?i)((?:\\{0,3}/|%2f|%252f)hooks(?:\\*/|%2f|%252f))[0-9a-f]{16,}(?![0-9a-z_])"
)
# Past this many candidates a response is not searched token by token: every long hex run is
# masked instead, so a huge hex blob costs one pass and hides nothing.
MAX_CANDIDATES = 5000
_HEX = "0123456789abcdefABCDEF"


def mentions_hooks(text: str) -> bool:
    """Whether ``text`` may hold a token: a resume URL's shape or a long enough run of hex
    digits.
    """
    return HOOK_URL.search(text) is not None or HEX_RUN.search(text) is not None


def candidates(text: str) -> set[str] | None:
    """Every 40-digit window of the hex runs of ``text``, lowercased; None when there are too
    many.
    """
    runs = HEX_RUN.findall(text)
    if sum(len(run) - TOKEN_LENGTH + 1 for run in runs) > MAX_CANDIDATES:
        return None  # counted before any window is made: a hex blob of megabytes costs no memory
    found: set[str] = set()
    for run in runs:
        run = run.lower()
        found.update(run[i : i + TOKEN_LENGTH] for i in range(len(run) - TOKEN_LENGTH + 1))
    return found


def hide_in_text(text: str, tokens: Collection[str] | None) -> str:
    """``text`` with resume URLs and the given tokens masked; ``None`` masks every long hex run."""
    text = HOOK_URL.sub(lambda match: match.group(1) + HIDDEN, text)
    if tokens is None:
        return HEX_RUN.sub(HIDDEN, text)
    if not tokens:
        return text
    pattern = re.compile("|".join(re.escape(token) for token in sorted(tokens)), re.IGNORECASE)
    return pattern.sub(HIDDEN, text)


def cut(text: str, limit: int) -> str:
    """The first ``limit`` characters of ``text``, without a run of hex digits the cut went
    through.
    """
    if len(text) <= limit:
        return text
    return drop_cut_hex(text[:limit]) if text[limit] in _HEX else text[:limit]


def drop_cut_hex(head: str) -> str:
    """The head of a cut text without its trailing hex digits, which may be most of a token.

    A token cut short no longer has a token's shape, yet its first 39 digits leave 16 guesses.
    """
    return head.rstrip(_HEX)
