from __future__ import annotations

from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate, post_save


class WorkflowsConfig(AppConfig):
    name = "workflows"
    verbose_name = "Workflows"

    def ready(self) -> None:
        from history.models import Organization

        from . import checks, task_recording, versions  # noqa: F401  checks registers the system checks
        from .conf import project_dirs
        from .pauses import provide_to_history as provide_pauses
        from .project import load_project
        from .queue import send_with
        from .run_actions import provide_to_history
        from .tasks import execute_run, run_bulk_batch
        from .triggers.sync import sync_after_migrate, sync_new_organization

        provide_to_history()
        provide_pauses()
        load_project(project_dirs())
        # The version runs record is the code imported now, not files changed on disk later.
        versions.code_hash(tuple(project_dirs()))
        send_with(execute_run, run_bulk_batch)  # see workflows.queue
        task_recording.connect()  # only when KEYSTROKE_RECORD_CELERY_TASKS selects tasks
        # Trigger state rows are made ahead of reads, not by them (workflows.triggers.sync).
        post_migrate.connect(sync_after_migrate, sender=apps.get_app_config("history"))
        post_save.connect(sync_new_organization, sender=Organization)
