"""compare.py's DBOS Transact side: its own virtualenv, and bench/dbos/app.py run in it."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine_setup import ROOT
from private_pg import PrivateCluster, Wal

HERE = ROOT / "bench" / "dbos"
VENV = ROOT / "bench" / ".venv-dbos"
DATABASE = "dbos_compare"
WARM_UP = 5


def dbos_python() -> Path:
    """The DBOS virtualenv's interpreter, (re)built from the hashed lock when the lock changed.

    DBOS's dependencies (SQLAlchemy and others) would clash with the project's own locks.
    """
    lock = HERE / "requirements.txt"
    digest = hashlib.sha256(lock.read_bytes()).hexdigest()
    stamp, python = VENV / ".installed", VENV / "bin" / "python"
    if not python.exists() or not stamp.exists() or stamp.read_text() != digest:
        print(f"Installing DBOS Transact into {VENV} …", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        done = subprocess.run(
            [*pip, "--require-hashes", "-r", str(lock)], capture_output=True, text=True
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"Installing DBOS failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
        stamp.write_text(digest)
    return python


@dataclass
class DbosRuns:
    seconds: list[float]  # per workflow call (sequential) or empty (burst)
    wall: float
    count: int
    wal: Wal


class DbosSide:
    def __init__(self, cluster: PrivateCluster, home: Path, concurrency: int, polling: float):
        self.cluster, self.home = cluster, home
        self.concurrency, self.polling = concurrency, polling
        self.python = str(dbos_python())
        cluster.create_database(DATABASE)
        self.url = cluster.url(DATABASE)

    def app(self, *args: str) -> dict[str, Any]:
        done = subprocess.run(
            [self.python, str(HERE / "app.py"), *args],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        if done.returncode != 0:
            raise RuntimeError(f"dbos/app.py {args[0]} failed:\n{done.stderr[-3000:]}")
        return dict(json.loads(done.stdout.strip().splitlines()[-1]))

    def sequential(self, n: int) -> dict[str, DbosRuns]:
        result = self.app("sequential", self.url, str(n), str(WARM_UP))
        return {
            name: DbosRuns(
                part["seconds"], sum(part["seconds"]), n, self.cluster.wal_between(*part["lsn"])
            )
            for name, part in result.items()
        }

    def burst(self, n: int) -> DbosRuns:
        """Two queue worker processes, as the Keystroke burst has two worker processes."""
        workers = [self.start_worker(f"worker-{i}") for i in range(2)]
        try:
            for worker, log in workers:
                if worker.stdout is None or worker.stdout.readline().strip() != "ready":
                    raise RuntimeError(f"A DBOS worker did not start:\n{log.read_text()[-3000:]}")
            result = self.app("burst", self.url, str(n), str(WARM_UP))
        finally:
            for worker, _ in workers:
                stop(worker)
        return DbosRuns([], result["wall"], n, self.cluster.wal_between(*result["lsn"]))

    def start_worker(self, executor: str) -> tuple[subprocess.Popen[str], Path]:
        log = self.home / f"dbos-{executor}.log"
        args = [self.python, str(HERE / "app.py"), "worker", self.url, executor]
        with open(log, "w") as errors:
            worker = subprocess.Popen(
                [*args, str(self.concurrency), str(self.polling)],
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
                start_new_session=True,
            )
        return worker, log

    def repetition(self, sequential: int, burst: int) -> dict[str, DbosRuns]:
        phases = self.sequential(sequential)
        if burst:
            phases["burst"] = self.burst(burst)
        return phases


def stop(process: subprocess.Popen[Any]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
