"""Keep secrets out of spans and logs: API keys, bearer tokens, passwords."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

MASK = "[redacted]"
SECRET_NAMES = re.compile(r"(?i)(authorization|api[_-]?key|token|secret|password|passwd|cookie)")
# Token counts, not tokens: gen_ai.usage.input_tokens, max_tokens…
TOKEN_COUNTS = re.compile(r"(?i)(gen_ai\.usage\.)?(input|output|max|total|prompt|completion|cached|reasoning)_tokens")
SECRET_TEXT = re.compile(
    r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"  # Authorization: Bearer …
    r"|\b(sk|ks|xox[abp]|ghp|gho)[-_][A-Za-z0-9_-]{10,}"  # provider, Keystroke, Slack and GitHub keys
    r"|((?:api[_-]?key|token|secret|password)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+"
)


def redact_text(text: str) -> str:
    def mask(match: re.Match[str]) -> str:
        prefix = match.group(1) or match.group(3) or ""
        return f"{prefix}{MASK}"

    return SECRET_TEXT.sub(mask, text)


@lru_cache(maxsize=4096)  # span attribute keys repeat on every step
def _secret_name(key: str) -> bool:
    return bool(SECRET_NAMES.search(key)) and not TOKEN_COUNTS.fullmatch(key)


def redact(value: Any) -> Any:
    """A copy of ``value`` with secret-looking keys masked and secret-looking text replaced."""
    if isinstance(value, dict):
        return {k: MASK if _secret_name(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value
