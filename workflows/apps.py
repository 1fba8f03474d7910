from __future__ import annotations

from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        from . import checks  # noqa: F401  registers the system checks
        from .conf import project_dirs
        from .project import load_project
        from .run_actions import provide_to_history

        provide_to_history()
        load_project(project_dirs())
