"""The engine benchmark's surroundings: its environment, a throwaway database, real workers."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
from engine_report import REDIS
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgresql://postgres@127.0.0.1:5432"


def configure_environment(dbname: str, home: Path) -> None:
    """Point Django and Celery at this benchmark's database, queue and project; before Django is
    imported.
    """
    os.environ.update(
        {
            "DATABASE_URL": f"{SERVER}/{dbname}",
            "CELERY_BROKER_URL": REDIS,
            "KEYSTROKE_QUEUE": f"keystroke-{dbname.replace('_', '-')}",
            "KEYSTROKE_PROJECT_DIR": str(ROOT / "bench" / "project"),
            "DJANGO_SETTINGS_MODULE": "keystroke_site.settings",
            "KEYSTROKE_HOME": str(home),
            "LOG_LEVEL": "WARNING",
        }
    )
    # production settings refuse to start without one
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    sys.path.insert(0, str(ROOT))


def admin_execute(statement: str, dbname: str) -> None:
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL(statement).format(sql.Identifier(dbname)))


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    name = f"keystroke_bench_{secrets.token_hex(4)}"
    admin_execute("CREATE DATABASE {}", name)
    try:
        # Django sets the session time zone on connect unless it is already UTC: a statement that
        # would otherwise count as a commit of the engine's.
        admin_execute("ALTER DATABASE {} SET timezone TO 'UTC'", name)
        yield name
    finally:
        admin_execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


class Worker:
    """A real Celery worker in a session of its own, so stopping it reaches every process it
    forked.
    """

    def __init__(self, concurrency: int, home: Path) -> None:
        self.node = f"bench-{secrets.token_hex(3)}@{socket.gethostname()}"
        self.log = home / f"{self.node.partition('@')[0]}.log"
        args = [sys.executable, "-m", "celery", "-A", "keystroke_site", "worker", "-l", "warning"]
        args += ["-c", str(concurrency), "--pool", "prefork", "-n", self.node]
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                args,
                cwd=ROOT,
                env=dict(os.environ),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_ready(self, app: Any, timeout: float = 60) -> None:
        # Readiness is asked over the broker rather than read from an info-level log, because info
        # logging writes two lines per task and would be timed along with the engine.
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"The worker exited at start:\n{self.tail()}")
            if app.control.ping(destination=[self.node], timeout=0.5):
                return
        raise RuntimeError(f"The worker was not ready after {timeout:g}s:\n{self.tail()}")

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # pool children that outlived their parent
