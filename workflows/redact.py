"""The one redaction of secrets in what user code hands us: errors, tracebacks, logs, spans, raw
trigger values.

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

# A name says secret when one of these is a part of it: db_password, clientSecret, X-Api-Key,
# access_tokens; not when the word goes on in lower case (secretary, tokenizer) or the part
# after it says what the name is about rather than holds (token_count, secret_name, cookie_consent).
_KEYWORDS = (
    r"api[_-]?key|apikey|token|secret|password|passwd|credential|private[_-]?key|authorization"
)


def _secret_part(keywords: str) -> str:
    return (
        rf"(?i:{keywords})s?(?![a-z])"
        r"(?![_.-]?(?i:count|type|limit|usage|name|id|length|len|size|policy|url|uri|endpoint|expires|expiry|ttl"
        r"|consent|banner|file|path)s?(?![a-z]))"
    )


_SECRET_PART = _secret_part(_KEYWORDS)  # in text; a Cookie header has a shape of its own
SECRET_NAMES = re.compile(_secret_part(_KEYWORDS + "|cookie"))
# Token counts, not tokens: a plural "tokens" (max_completion_tokens, tokens_used, tokens) unless
# a word before it says credential (access_tokens, refresh_tokens).
TOKEN_COUNTS = re.compile(
    r"(?i)(?!.*(?:access|refresh|auth|api|bearer|session|oauth|csrf|jwt|id)[_.-]?tokens)"
    r"(?:[a-z0-9_.-]*[_.-])?tokens(?:[_.-][a-z0-9_.-]*)?"
)
# A credential after "Basic" has a digit, an upper-case letter, + / or =, unlike the English
# words that also follow the word ("basic arithmetic"); after "Bearer" any word is one.
_BASIC = r"(?=[A-Za-z0-9+/=]{0,512}[0-9A-Z+/=])[A-Za-z0-9+/=]{8,}"
_BEARER = r"[A-Za-z0-9._~+/=-]{8,}"
# A quoted value whole (escaped quotes included), else up to the first space, quote or bracket;
# never the mask itself, so redacting twice reads the same.
_VALUE = (
    r"""(?!["']?\[redacted\])"""
    r"""(?:"(?:[^"\\\n]|\\.){0,1024}"|'(?:[^'\\\n]|\\.){0,1024}'|["']?[^\s"',;&)\]}>]+)"""
)

# Each shape that keeps the text before its secret names that part keep…; the rest is masked.
# Every shape starts at a keyword or at a word's start and its repeats are bounded, so a long
# word costs linear time (unbounded ones took 17 s on 20,000 characters).
_SECRET_SHAPES = (
    r"(?s:-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----.*?(?:-----END [A-Z ]{0,40}PRIVATE KEY-----|\Z))",
    # a JWT: header.claims.signature
    r"\beyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*",
    r"(?P<keep_auth>(?i:authorization)[\"']?\s*[:=]\s*[\"']?(?i:(?:bearer|basic|token|digest)\s+)?)[^\s\"',;]{4,}",
    r"(?P<keep_bearer>(?i:bearer)\s+)" + _BEARER,
    r"(?P<keep_basic>(?i:basic)\s+)" + _BASIC,
    # provider, Keystroke, Slack, GitHub, GitLab keys
    r"\b(?:sk|ks|xox[abp]|ghp|gho|ghs|glpat)[-_][A-Za-z0-9_-]{10,}",
    r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b",  # AWS access key ids
    # the password of scheme://user:password@host
    r"(?P<keep_url>\b[a-zA-Z][a-zA-Z0-9+.-]{0,30}://[^\s:/@]{0,256}:)[^\s@/]{1,4096}(?=@)",
    # a Cookie header, at the start of a line or as a quoted key
    r"(?P<keep_cookie>(?m:^)[ "
    r"\t]*(?i:(?:set-)?cookie)\s*:\s*|[\"'](?i:(?:set-)?cookie)[\"']\s*:\s*)" + _VALUE,
    # name=value and "name": "value" where the name says secret
    r"(?P<keep_pair>(?P<name>(?<![A-Za-z0-9_.-])[A-Za-z0-9_.-]{0,40}?"
    + _SECRET_PART
    + r"[A-Za-z0-9_.-]{0,40})"
    r"[\"']?\s*[:=]\s*)" + _VALUE,
)
SECRET_TEXT = re.compile("|".join(_SECRET_SHAPES))


def _mask(match: re.Match[str]) -> str:
    name = match.group("name")
    if name is not None and TOKEN_COUNTS.fullmatch(name):
        return match.group(0)  # max_tokens=1024
    kept = next(
        (g for key, g in match.groupdict().items() if key.startswith("keep") and g is not None), ""
    )
    value = match.group(0)[len(kept) :]
    quote = value[0] if len(value) > 1 and value[0] in "\"'" and value[-1] == value[0] else ""
    return f"{kept}{quote}{MASK}{quote}"


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
