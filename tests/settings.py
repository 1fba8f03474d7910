"""Settings for the test suite: PostgreSQL and Redis, short engine timings, a private queue.

Values already in the environment win, so CI can point the suite elsewhere.
"""

from __future__ import annotations

import os
import tempfile
import uuid

# A database name of its own (pytest-django adds "test_"), so two sessions never drop each other's.
os.environ.setdefault("DATABASE_URL", f"postgres://postgres@127.0.0.1:5432/keystroke_{os.getpid()}")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/0")
# A queue of its own, so messages left by another test session are never consumed here.
os.environ.setdefault("KEYSTROKE_QUEUE", f"keystroke-test-{uuid.uuid4().hex[:8]}")
os.environ.setdefault("KEYSTROKE_PROJECT_DIR", os.pathsep.join(["examples", "tests/project"]))
os.environ.setdefault("KEYSTROKE_HOME", tempfile.mkdtemp(prefix="keystroke-test-"))
# Under pytest-xdist each worker inherits the controller's environment: it takes a queue and a home
# of its own (pytest-django already gives it a database of its own). The processes it starts
# inherit its marker and keep the values they are given.
_xdist_worker = os.environ.get("PYTEST_XDIST_WORKER")
if _xdist_worker and os.environ.get("KEYSTROKE_TEST_WORKER") != _xdist_worker:
    os.environ["KEYSTROKE_TEST_WORKER"] = _xdist_worker
    os.environ["KEYSTROKE_QUEUE"] += f"-{_xdist_worker}"
    os.environ["KEYSTROKE_HOME"] = os.path.join(os.environ["KEYSTROKE_HOME"], _xdist_worker)
    os.makedirs(os.environ["KEYSTROKE_HOME"], exist_ok=True)
os.environ.setdefault("KEYSTROKE_LEASE_SECONDS", "3")
os.environ.setdefault("KEYSTROKE_STALE_QUEUED_SECONDS", "2")
os.environ.setdefault("KEYSTROKE_TIMER_INTERVAL", "0.5")
os.environ.setdefault("KEYSTROKE_SWEEP_INTERVAL", "1")
# DEBUG is off here as in production, so the key must be a strong one; child processes inherit it.
os.environ.setdefault("SECRET_KEY", "test-only-" + "k3ystr0ke-suite-secret-" * 3)

from keystroke_site.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
