from __future__ import annotations

from django.apps import AppConfig


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        from . import checks  # noqa: F401  registers the system checks
        from .conf import project_dirs
        from .project import load_project
        from .queue import send_with
        from .tasks import execute_run

        load_project(project_dirs())
        send_with(execute_run)  # run messages are this task's; see workflows.queue
