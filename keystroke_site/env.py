"""The one parser of environment settings: booleans, numbers, secrets, origins, proxy counts.

Every reader of the environment goes through these, so ``KEYSTROKE_TRACING=maybe`` is refused
the same way as ``DEBUG=maybe``, with the variable's name and the values it takes.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    if raw.strip().lower() in _TRUE:
        return True
    if raw.strip().lower() in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean: use 1/0, true/false, yes/no.")


def env_number(name: str, default: float, cast: type = int) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return cast(raw)
    except ValueError:
        kind = "whole number" if cast is int else "number"
        raise ImproperlyConfigured(f"{name}={raw!r} is not a {kind}.") from None


def env_int(name: str, default: int) -> int:
    return int(env_number(name, default, int))


def env_secret(name: str, default: str) -> str:
    """Read NAME, or the contents of the file named by NAME_FILE (for mounted secrets)."""
    path = os.environ.get(f"{name}_FILE")
    if path:
        try:
            return Path(path).read_text().strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc}") from None
    return os.environ.get(name, default)


def env_origin(name: str) -> tuple[str, str, str] | None:
    """``(scheme, host, origin)`` of an ``http(s)://host[:port]`` URL, or None when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        parts, port = None, None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
    ):
        shown = (
            raw.replace(f":{parts.password}@", ":***@")
            if parts is not None and parts.password
            else raw
        )
        raise ImproperlyConfigured(
            f"{name}={shown!r} is not an http(s)://host[:port] URL: give the address people open, "
            "such as https://keystroke.example.com, without a path."
        )
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default_port = {"http": 80, "https": 443}[parts.scheme]
    netloc = host if port in (None, default_port) else f"{host}:{port}"
    return parts.scheme, host, f"{parts.scheme}://{netloc}"


def env_proxies(name: str) -> int:
    """How many reverse proxies stand in front of the app: 0 (none), 1, or more."""
    raw = os.environ.get(name, "").strip().lower()
    if raw in _FALSE or raw in _TRUE:
        return int(raw in _TRUE)
    if raw.isdigit():
        return int(raw)
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a number of proxies: use 0 (the app is reached directly), 1 (one "
        "reverse proxy in front of it) or how many proxies each request passes through."
    )
