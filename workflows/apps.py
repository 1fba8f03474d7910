from __future__ import annotations

from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        from . import checks  # noqa: F401  registers the system checks
        from .conf import project_dirs
        from .project import load_project

        load_project(project_dirs())
