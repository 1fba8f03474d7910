"""System checks for deployment invariants and the project registry."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import connection


@register(Tags.compatibility)
def check_settings(app_configs: Any, **kwargs: Any) -> list[Any]:
    problems: list[CheckMessage] = []
    if not settings.USE_TZ or settings.TIME_ZONE != "UTC":
        problems.append(
            Error(
                "Runs are timed in UTC.",
                hint="Set USE_TZ = True and TIME_ZONE = 'UTC'.",
                id="keystroke.E001",
            )
        )
    if not getattr(settings, "CELERY_BROKER_URL", ""):
        problems.append(
            Error(
                "No Celery broker is configured.",
                hint="Set CELERY_BROKER_URL, e.g. redis://127.0.0.1:6379/0.",
                id="keystroke.E002",
            )
        )
    if connection.vendor != "postgresql" and not settings.DEBUG:
        problems.append(
            Warning(
                "The database is not PostgreSQL; the embedded SQLite default is for one machine "
                "only.",
                hint="Set DATABASE_URL=postgres://… for production.",
                id="keystroke.W001",
            )
        )
    return problems


@register()
def check_registry(app_configs: Any, **kwargs: Any) -> list[Any]:
    from .conf import project_dirs
    from .registry import registry

    if registry.workflows():
        return []
    folders = ", ".join(str(p) for p in project_dirs())
    return [
        Warning(
            f"No workflows are registered from {folders}.",
            hint="Set KEYSTROKE_PROJECT_DIR to your project; its workflows/ folder defines them "
            "with define_workflow.",
            id="workflows.W001",
        )
    ]


@register("settings")
def check_readable_settings(app_configs: Any, **kwargs: Any) -> list[Any]:
    """A setting that cannot be read must stop start-up: a policy read wrong makes the prune
    delete the wrong runs, a version read wrong files runs under a name nobody deployed."""
    from django.core.exceptions import ImproperlyConfigured

    from .retention import configured_policy, delivery_window
    from .versions import configured_version

    problems: list[CheckMessage] = []
    for read, name, id in (
        (configured_policy, "KEYSTROKE_RETENTION", "workflows.E010"),
        (delivery_window, "KEYSTROKE_DELIVERY_RETENTION", "workflows.E011"),
        (configured_version, "KEYSTROKE_VERSION", "workflows.E012"),
    ):
        try:
            read()
        except ImproperlyConfigured as exc:
            problems.append(
                Error(
                    str(exc),
                    hint=f"Fix {name} in the environment, or unset it for the default.",
                    id=id,
                )
            )
    return problems
