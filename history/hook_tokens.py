"""Hook tokens are credentials: whoever holds one resumes the hook, so only operators may see them.

Workflow code puts them anywhere: a payload, a log line, an exception, a span, the output. So
instead of masking field by field, every answer to someone below operator (pages, the API,
downloads, the admin) is searched as it leaves: resume URLs are masked by their shape, and any
40-hex word that is a hook's token, found with one query, is masked too. ``/hooks/<token>``
itself is left alone: its visitor holds the token already. (The search happens in
``history.middleware``; this module holds only the shapes, so logging can use them too.)
"""

from __future__ import annotations

import re
from collections.abc import Collection

HIDDEN = "[hidden from viewers]"
HOOK_URL = re.compile(r"/hooks/[0-9a-fA-F]{40}(?![0-9a-fA-F])")
# A token's shape, percent-encoded URLs included (".../hooks%2F<token>"); most words of this
# shape (commit ids, digests) are not tokens and stay.
TOKEN_SHAPE = re.compile(r"(?:(?<=%[0-9a-fA-F]{2})|(?<![0-9a-fA-F]))[0-9a-fA-F]{40}(?![0-9a-fA-F])")


def hide_in_text(text: str, tokens: Collection[str]) -> str:
    """``text`` with resume URLs and the given tokens masked."""
    text = HOOK_URL.sub(f"/hooks/{HIDDEN}", text)
    if not tokens:
        return text
    return TOKEN_SHAPE.sub(lambda match: HIDDEN if match.group(0).lower() in tokens else match.group(0), text)
