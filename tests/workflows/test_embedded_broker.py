"""The embedded default broker (kombu's filesystem transport) of ``keystroke dev``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

SCRIPT = """
import logging, django
django.setup()
from keystroke_site.celery import app

class Seen(logging.Handler):
    def emit(self, record):
        print("LOGGED", record.levelname, record.name, record.getMessage())

for name in ("", "kombu", "celery"):
    logging.getLogger(name).addHandler(Seen(logging.WARNING))
with app.connection_for_write() as connection:
    with connection.SimpleQueue("keystroke-smoke") as queue:
        queue.put({"ping": 1})
        print(queue.get(timeout=5).payload)
"""


def test_the_embedded_broker_carries_messages_without_a_warning_per_connection(
    tmp_path: Path,
) -> None:
    """A user's trace showed ``kombu.connection: No hostname was supplied`` on every run."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CELERY_BROKER_URL", "DATABASE_URL")
    } | {
        "DJANGO_SETTINGS_MODULE": "keystroke_site.settings",
        "KEYSTROKE_HOME": str(tmp_path),
        "DEBUG": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "{'ping': 1}" in done.stdout
    assert "LOGGED" not in done.stdout, done.stdout
