"""What the web server's processes do once at start-up."""

from __future__ import annotations

import os
import subprocess
import sys

from django.conf import settings


def test_start_up_is_frozen_out_of_the_garbage_collectors_full_passes() -> None:
    """A big page's garbage sets off full collections: with what start-up loaded frozen, they
    walk what requests made, not every module and view Django holds.
    """
    code = "import gc, keystroke_site.wsgi; print(gc.get_freeze_count(), len(gc.get_objects()))"
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "tests.settings"}
    shown = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout.split()
    frozen, still_walked = int(shown[0]), int(shown[1])
    assert frozen > 50_000  # the URLconf imported every view before the freeze
    assert still_walked < frozen / 10
