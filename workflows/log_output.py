"""Log output of the web and worker processes, with secrets redacted and hook tokens hidden.

Log lines go to files, journals and aggregators that more people read than may resume a hook,
so a line loses what ``redact`` removes from stored text, every resume URL, and the bare tokens
this process handed to workflow code during the passes it runs.
"""

from __future__ import annotations

import logging
from typing import Any

from history.hook_tokens import hide_in_text

from .redact import redact_text

# The tokens handed to each pass in hand, by its lease owner (a thread pool runs several).
_tokens_in_hand: dict[str, set[str]] = {}


def hold_token(owner: str, token: str) -> None:
    _tokens_in_hand.setdefault(owner, set()).add(token)


def release_tokens(owner: str) -> None:
    _tokens_in_hand.pop(owner, None)


def _tokens() -> set[str]:
    return set().union(*list(_tokens_in_hand.values()))


class RedactingFormatter(logging.Formatter):
    """Formats as ``inner`` does (the plain format by default), then masks secrets and hook
    tokens.
    """

    def __init__(self, *args: Any, inner: logging.Formatter | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        text = self.inner.format(record) if self.inner is not None else super().format(record)
        return hide_in_text(redact_text(text), _tokens())


def redact_handlers(logger: logging.Logger) -> None:
    """Wraps the formatter of each of ``logger``'s handlers (Celery installs its own in a
    worker).
    """
    for handler in logger.handlers:
        if not isinstance(handler.formatter, RedactingFormatter):
            handler.setFormatter(RedactingFormatter(inner=handler.formatter or logging.Formatter()))
