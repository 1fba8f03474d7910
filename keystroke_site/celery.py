from __future__ import annotations

import os
from typing import Any

from celery import Celery
from celery.signals import after_setup_logger, after_setup_task_logger

from workflows.log_output import redact_handlers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keystroke_site.settings")
app = Celery("keystroke_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@after_setup_logger.connect
@after_setup_task_logger.connect
def _redact_worker_output(logger: Any, **_: Any) -> None:
    # A worker replaces the handlers of the root and task loggers with its own at start.
    redact_handlers(logger)
