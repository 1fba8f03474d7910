"""Engine settings: ``KEYSTROKE_WORKFLOWS`` over these defaults, read when used."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import settings

from history.jsonbody import DEFAULT_MAX_PAYLOAD

DEFAULTS: dict[str, Any] = {
    # The user project: one or more folders, separated by os.pathsep.
    "PROJECT_DIR": "examples",
    # Base of absolute links such as a hook's resume_url.
    "PUBLIC_URL": "http://127.0.0.1:8000",
    # Largest request body accepted, in bytes (the request parsers read it too).
    "MAX_PAYLOAD": DEFAULT_MAX_PAYLOAD,
    # A worker renews its lease every third of this; a lapsed lease lets the sweeper requeue the
    # run.
    "LEASE_SECONDS": 30.0,
    # A queued run whose message is older than this is assumed lost and enqueued again.
    "STALE_QUEUED_SECONDS": 60.0,
    # How long finished runs are kept, by status (workflows.retention); empty keeps every run.
    "RETENTION": "",
    # How long a webhook or API delivery answers a repeated Idempotency-Key; at least 24h.
    "DELIVERY_RETENTION": "7d",
    # Runs deleted per transaction by the prune, and how long one beat's prune may go on.
    "PRUNE_BATCH_SIZE": 500,
    "PRUNE_SECONDS": 60.0,
    # The project version runs record (workflows.versions); empty: a hash of the project's code.
    "VERSION": "",
    # A run's workspace (define_workflow(workspace=True)): the most it may hold after a step.
    "WORKSPACE_MAX_BYTES": 256 * 1024 * 1024,
    "WORKSPACE_MAX_FILES": 10_000,
    # A sandboxed command's limits (run_command), and the bubblewrap it runs in.
    "COMMAND_TIMEOUT": 60.0,
    "COMMAND_MEMORY": 1024 * 1024 * 1024,
    "BWRAP": "bwrap",
    # The host project's own Celery tasks recorded as runs of kind task (workflows.task_recording):
    # 1 for every task, a comma-separated list of task names for those, empty or 0 for none.
    "RECORD_CELERY_TASKS": "",
}


def engine_settings() -> dict[str, Any]:
    return {**DEFAULTS, **getattr(settings, "KEYSTROKE_WORKFLOWS", {})}


def project_dirs() -> list[Path]:
    return [
        Path(settings.BASE_DIR, p).resolve()
        for p in engine_settings()["PROJECT_DIR"].split(os.pathsep)
        if p
    ]
