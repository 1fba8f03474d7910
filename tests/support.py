"""Real processes for engine tests: Celery workers and beat against the test database."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def wait_for(
    predicate: Callable[[], Any],
    timeout: float = 30,
    interval: float = 0.1,
    what: str = "condition",
) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def http_status(client: Any, path: str) -> int | None:
    """The status a server answers ``path`` with, or None while it does not answer yet."""
    try:
        return int(client.get(path).status_code)
    except httpx.TransportError:
        return None


def process_env(**extra: str) -> dict[str, str]:
    """The environment of a child process: this one's, pointed at the test database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tests.settings", **extra}


class Process:
    """A child process in a session of its own, so a kill reaches every process it forked."""

    def __init__(
        self,
        name: str,
        args: list[str],
        log_dir: Path,
        ready_text: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.name = name
        self.log = log_dir / f"{name}-{time.monotonic_ns()}.log"
        self._log_file = open(self.log, "w")  # noqa: SIM115  closed in stop()
        self.proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=process_env(**(env or {})),
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if ready_text:
            wait_for(
                lambda: ready_text in self.output() or self.proc.poll() is not None,
                60,
                what=f"{name} to start",
            )
            assert self.proc.poll() is None, f"{name} exited at start:\n{self.output()}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL the whole process group: no cleanup, no message acknowledged."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._log_file.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log_file.close()


def start_worker(log_dir: Path, concurrency: int = 2, **env: str) -> Process:
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "keystroke_site",
        "worker",
        "-l",
        "info",
        "-c",
        str(concurrency),
    ]
    return Process("worker", args, log_dir, ready_text=" ready.", env=env)


def start_beat(log_dir: Path, **env: str) -> Process:
    schedule = log_dir / f"beat-schedule-{time.monotonic_ns()}"
    args = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "keystroke_site",
        "beat",
        "-l",
        "info",
        "-s",
        str(schedule),
    ]
    return Process("beat", args, log_dir, ready_text="beat: Starting", env=env)


def start_web(log_dir: Path, port: int, **env: str) -> Process:
    """The production web server (``keystroke serve``, gunicorn) against the test database."""
    keystroke = str(Path(sys.executable).with_name("keystroke"))
    args = [keystroke, "serve", "--port", str(port), "--workers", "2"]
    return Process("web", args, log_dir, ready_text="Booting worker", env=env)


def run_on_sqlite(tmp_path: Any, script: str) -> Any:
    """The last line ``script`` prints, as JSON, from a process on a fresh SQLite database."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "KEYSTROKE_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "keystroke_site.settings",
        "DEBUG": "1",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{script}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
