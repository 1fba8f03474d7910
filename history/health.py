"""Readiness checks: can this process reach its database and its broker, right now?

Each check opens a connection of its own with a short timeout, so a server that hangs fails
the probe in seconds instead of holding a web worker for minutes, and a broken connection in
this process's pool cannot hide a database that came back (or mask one that left). The answer
says why a check failed, without the passwords that connection URLs may carry.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from kombu import Connection

TIMEOUT_SECONDS = 2.0
# Socket read and write limits for each transport (Redis, RabbitMQ), besides the connect timeout.
_BROKER_TIMEOUTS = {
    name: TIMEOUT_SECONDS for name in ("socket_timeout", "read_timeout", "write_timeout")
}


def readiness() -> dict[str, str]:
    """``{"database": "ok" | "error: …", "broker": …}``."""
    return {"database": check_database(), "broker": check_broker()}


def check_database(database: BaseDatabaseWrapper | None = None) -> str:
    probe = (database or connections["default"]).copy()
    options = probe.settings_dict.setdefault("OPTIONS", {})
    options.pop("pool", None)  # one short-lived connection, not a pool of its own
    if probe.vendor == "postgresql":
        # libpq's limit on connecting and signing in
        options["connect_timeout"] = int(TIMEOUT_SECONDS)
        # and the server's on the query, so a database that accepts but does not answer fails too
        options["options"] = f"-c statement_timeout={int(TIMEOUT_SECONDS * 1000)}"
    try:
        with probe.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        return _failed(exc, probe.settings_dict.get("PASSWORD"))
    finally:
        probe.close()
    return "ok"


def check_broker(url: str | None = None, transport_options: dict[str, Any] | None = None) -> str:
    """Connect to the Celery broker (settings' by default) once, giving up after a few seconds."""
    url = url or settings.CELERY_BROKER_URL
    if transport_options is None:
        transport_options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    broker = Connection(
        url,
        ssl=getattr(settings, "CELERY_BROKER_USE_SSL", False),
        connect_timeout=TIMEOUT_SECONDS,
        transport_options={**transport_options, **_BROKER_TIMEOUTS},
    )
    try:
        with broker:
            broker.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=TIMEOUT_SECONDS
            )
            if broker.transport.driver_type == "filesystem":
                _check_folders(broker.transport_options or {})
    except Exception as exc:
        return _failed(exc, urlsplit(url).password)
    return "ok"


def _check_folders(options: dict[str, Any]) -> None:
    # The filesystem transport of ``keystroke dev`` connects to nothing: what can fail is its
    # folders.
    for key in ("data_folder_in", "data_folder_out"):
        folder = options.get(key)
        if folder and not os.access(folder, os.W_OK | os.X_OK):
            raise OSError(f"the broker folder {folder} is missing or not writable")


def _failed(exc: BaseException, password: str | None) -> str:
    """``error: <type>: <first line of the message>``, short, with the password masked wherever it
    shows.
    """
    lines = str(exc).strip().splitlines()
    message = lines[0] if lines else ""
    for secret in {password, unquote(password)} if password else ():
        message = message.replace(secret, "***")
    return f"error: {type(exc).__name__}: {message}"[:300].rstrip(": ")
