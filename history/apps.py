from __future__ import annotations

import re
from typing import Any

from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate, post_save


class HistoryConfig(AppConfig):
    name = "history"
    verbose_name = "History"

    def ready(self) -> None:
        from .api import schema  # noqa: F401  registers the OpenAPI description of API-key auth
        from .defaults import create_default_organization, create_default_project
        from .models import Organization

        connection_created.connect(_sqlite_functions)
        post_migrate.connect(create_default_organization, sender=self)
        post_save.connect(create_default_project, sender=Organization)


def _sqlite_functions(connection: Any, **_: Any) -> None:
    """PostgreSQL's regexp_replace for SQLite, which the run search uses, and a lower() that
    folds every letter (SQLite's folds ASCII only), for the payload search's ``~``."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "regexp_replace", 4, _regexp_replace, deterministic=True
        )
        connection.connection.create_function("keystroke_lower", 1, _lower, deterministic=True)


def _regexp_replace(text: object, pattern: str, replacement: str, flags: str) -> str | None:
    if text is None:
        return None
    # A payload's number reaches here as one (json_extract); PostgreSQL's would be text.
    return re.sub(pattern, replacement, str(text), count=0 if "g" in flags else 1)


def _lower(text: object) -> str | None:
    return None if text is None else str(text).lower()
