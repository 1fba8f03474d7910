"""Targets: which server the CLI talks to, kept in a small JSON file per user.

The file is ``$KEYSTROKE_CONFIG``, else ``$XDG_CONFIG_HOME/keystroke/config.json`` (default
``~/.config``), holding ``{"current": name, "targets": {name: {"url", "token"}}}``.
``KEYSTROKE_URL`` and ``KEYSTROKE_API_KEY`` override it for one shell or one CI job.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import CliError

LOCAL = "local"
USE_HINT = "`keystroke target use <url> --token <key>`"
NO_TARGET_HINT = f"run `keystroke dev`, or {USE_HINT}"


@dataclass(frozen=True)
class Target:
    name: str
    url: str
    token: str | None
    source: str  # "config" or "environment": shown by `target show`


def config_path() -> Path:
    explicit = os.environ.get("KEYSTROKE_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
    return Path(base) / "keystroke" / "config.json"


def load_config() -> dict[str, Any]:
    path = config_path()
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {"current": None, "targets": {}}
    except (OSError, ValueError) as exc:
        raise CliError(f"cannot read the CLI config {path}: {exc}") from None
    data.setdefault("targets", {})
    return data


def save_config(data: dict[str, Any]) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    # The file holds API keys: readable by its owner only, and replaced atomically.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")
    os.replace(tmp, path)
    return path


def store_target(name: str, url: str, token: str | None) -> Path:
    data = load_config()
    data["targets"][name] = {"url": url.rstrip("/"), "token": token}
    data["current"] = name
    return save_config(data)


def select_target(name: str) -> Path:
    data = load_config()
    if name not in data["targets"]:
        hint = "run `keystroke dev` first" if name == LOCAL else f"add it with {USE_HINT}"
        raise CliError(f"no target {name!r} in {config_path()}: {hint}")
    data["current"] = name
    return save_config(data)


def name_for_url(url: str) -> str:
    return urlsplit(url).netloc or url


def current_target(require_token: bool = True) -> Target:
    target = _from_environment() or _from_config()
    if target is None or (require_token and not target.token):
        missing = "no server is configured" if target is None else f"no API key for {target.url}"
        raise CliError(f"{missing}: {NO_TARGET_HINT}")
    return target


def _from_environment() -> Target | None:
    url = os.environ.get("KEYSTROKE_URL")
    token = os.environ.get("KEYSTROKE_API_KEY")
    if not url:
        stored = _from_config()
        return Target(stored.name, stored.url, token, "environment") if stored and token else None
    # A stored key is reused only for the same URL, so it never leaks to another server.
    stored = next((t for t in _stored_targets() if t.url == url.rstrip("/")), None)
    return Target(
        "environment", url.rstrip("/"), token or (stored.token if stored else None), "environment"
    )


def _from_config() -> Target | None:
    data = load_config()
    entry = data["targets"].get(data.get("current") or "")
    if not entry or not entry.get("url"):
        return None
    return Target(data["current"], entry["url"].rstrip("/"), entry.get("token"), "config")


def _stored_targets() -> list[Target]:
    targets = load_config()["targets"].items()
    return [
        Target(name, t["url"].rstrip("/"), t.get("token"), "config")
        for name, t in targets
        if t.get("url")
    ]


def mask(token: str | None) -> str:
    return f"{token[:10]}…" if token else "not set"
