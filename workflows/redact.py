"""The one redaction of secrets in what user code hands us: errors, tracebacks, logs, spans, raw trigger values.

Text is searched for credentials by their shape (bearer and basic credentials, provider keys,
AWS access keys, JWTs, PEM private keys, passwords in URLs, ``name=value`` pairs whose name
says secret); mappings also lose the values of keys whose name says secret. Hook tokens are
not secrets here: operators resume hooks with them (``history.hook_tokens`` hides them from
everyone else).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

MASK = "[redacted]"
SECRET_NAMES = re.compile(
    r"(?i)(authorization|api[_-]?key|token|secret|password|passwd|cookie|credential|private[_-]?key)"
)
# Token counts, not tokens: gen_ai.usage.input_tokens, max_tokens…
TOKEN_COUNTS = re.compile(r"(?i)(gen_ai\.usage\.)?(input|output|max|total|prompt|completion|cached|reasoning)_tokens")

# Each alternative keeps at most one group, the text before the secret, and loses the rest.
# Each starts only at a keyword or a word's start, so a long word costs linear time, not quadratic.
_SECRET_SHAPES = (
    r"(?s)-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
    r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*",  # a JWT: header.claims.signature
    r"((?i:authorization)[\"']?\s*[:=]\s*[\"']?(?:(?i:bearer|basic|token|digest)\s+)?)[^\s\"',;]{4,}",
    r"((?i:bearer|basic)\s+)[A-Za-z0-9._~+/=-]{8,}",
    r"\b(?:sk|ks|xox[abp]|ghp|gho|ghs|glpat)[-_][A-Za-z0-9_-]{10,}",  # provider, Keystroke, Slack, GitHub, GitLab keys
    r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",  # AWS access key ids
    r"(\b[a-zA-Z][a-zA-Z0-9+.-]{0,30}://[^\s:/@]*:)[^\s@/]+(?=@)",  # the password of scheme://user:password@host
    # name=value and "name": "value" where the name says secret (aws_secret_access_key, db_password…)
    r"((?<![a-zA-Z0-9_.-])(?i:[a-z0-9_.-]*(?:api[_-]?key|token(?!s)|secret|password|passwd|pwd|credential|private[_-]?key)[a-z0-9_-]*)"
    r"[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+",
    r"((?i:(?:set-)?cookie)[\"']?\s*[:=]\s*)[^\r\n\"']+",
)
SECRET_TEXT = re.compile("|".join(_SECRET_SHAPES))


def _mask(match: re.Match[str]) -> str:
    kept = next((group for group in match.groups() if group is not None), "")
    return f"{kept}{MASK}"


def redact_text(text: str) -> str:
    return SECRET_TEXT.sub(_mask, text)


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
