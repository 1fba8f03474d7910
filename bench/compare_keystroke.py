"""compare.py's Keystroke side: gunicorn and a real Celery worker on the private cluster, driven
through the REST API as a user would.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from engine import delete_queue
from engine_report import TEN, ZERO
from engine_setup import ROOT, Worker, configure_environment
from private_pg import PrivateCluster, Wal, free_port

DATABASE = "keystroke_compare"
WARM_UP = 5  # runs per worker lifetime that import code and open connections, not measured
POLL_SECONDS = 0.001
WAIT_SECONDS = 10  # a sequential start's ?wait=: the server answers when the run has finished


@dataclass
class Runs:
    """One phase's measured runs, in seconds."""

    wall: float
    wal: Wal
    count: int
    latencies: list[float] = field(default_factory=list)  # POST sent → success seen
    posts: list[float] = field(default_factory=list)  # POST sent → queued_at
    pickups: list[float] = field(default_factory=list)  # queued_at → started_at
    durations: list[float] = field(default_factory=list)  # started_at → finished_at
    seen: list[float] = field(default_factory=list)  # finished_at → the client saw success
    waited: int = 0  # sequential runs whose POST ?wait= answered with the finished run


class KeystrokeSite:
    """A migrated database, an API key and gunicorn; a worker per phase, as in production."""

    def __init__(self, cluster: PrivateCluster, home: Path) -> None:
        self.cluster, self.home = cluster, home
        cluster.create_database(DATABASE)
        configure_environment(DATABASE, home)
        # Production settings (DEBUG off, a SECRET_KEY), on the private cluster only.
        os.environ.update(
            {
                "DATABASE_URL": cluster.url(DATABASE),
                "KEYSTROKE_QUEUE": f"keystroke-compare-{secrets.token_hex(4)}",
                "DEBUG": "0",
                "ALLOWED_HOSTS": "127.0.0.1",
                "STATIC_ROOT": str(home / "static"),
            }
        )
        self.manage("migrate", "--noinput")
        key = self.manage("create_api_key", "--name", "compare").strip().splitlines()[-1]
        self.port = free_port()
        self.web = self.start_web()
        self.http = httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}",
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        try:
            self.wait_web()
            import django

            django.setup()
            from keystroke_site.celery import app

            self.app = app
        except BaseException:
            self.close()
            raise

    def manage(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=dict(os.environ),
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{done.stderr[-3000:]}")
        return done.stdout

    def start_web(self) -> subprocess.Popen[bytes]:
        # `keystroke serve` (gunicorn with the project's defaults), two web workers.
        args = [sys.executable, "-m", "workflows.cli", "serve", "--port", str(self.port)]
        with open(self.home / "web.log", "wb") as log:
            return subprocess.Popen(
                [*args, "--workers", "2"],
                cwd=ROOT,
                env=dict(os.environ),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def wait_web(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.web.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start:\n{self.web_tail()}")
            try:
                if self.http.get("/api/workflows").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:g}s:\n{self.web_tail()}")

    def web_tail(self) -> str:
        return (self.home / "web.log").read_text(errors="replace")[-3000:]

    def close(self) -> None:
        self.http.close()
        if self.web.poll() is None:
            os.killpg(self.web.pid, signal.SIGTERM)
            try:
                self.web.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.web.pid, signal.SIGKILL)
                self.web.wait()
        delete_queue(os.environ["KEYSTROKE_QUEUE"])

    # -- the API -----------------------------------------------------------------------------------

    def start(self, slug: str, wait: float = 0) -> tuple[str, str]:
        """The new run's id and its status when the POST answered."""
        path = f"/api/workflows/{slug}" + (f"?wait={wait:g}" if wait else "")
        response = self.http.post(path, json={})
        if response.status_code != 202:
            raise RuntimeError(f"POST {path}: {response.status_code} {response.text}")
        body = response.json()
        return str(body["run_id"]), str(body["status"])

    def wait(self, run_id: str, timeout: float = 30) -> None:
        """Poll every millisecond."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.http.get(f"/api/runs/{run_id}").json()
            if run["status"] == "success":
                return
            if run["status"] in ("failed", "canceled"):
                raise RuntimeError(f"Run {run_id} ended {run['status']}: {run.get('error')}")
            time.sleep(POLL_SECONDS)
        raise RuntimeError(f"Run {run_id} did not finish within {timeout:g}s")

    def wait_all(self, run_ids: list[str], timeout: float = 900) -> None:
        """Counted in the database rather than through 1,000 GETs that would compete with the
        workers.
        """
        uids = [run_id.removeprefix("run_") for run_id in run_ids]
        deadline = time.monotonic() + timeout
        with self.cluster.admin(DATABASE) as db:
            while time.monotonic() < deadline:
                rows = db.execute(
                    "SELECT status, count(*) FROM history_run WHERE uid = ANY(%s::uuid[]) "
                    "GROUP BY status",
                    [uids],
                ).fetchall()
                counts = dict(rows)
                if set(counts) - {"success", "queued", "running"}:
                    raise RuntimeError(f"Some runs did not succeed: {counts}")
                if counts.get("success") == len(uids):
                    return
                time.sleep(0.05)
        raise RuntimeError(f"{len(uids)} runs did not finish within {timeout:g}s")

    def timestamps(self, run_ids: list[str]) -> list[tuple[float, float, float]]:
        """queued_at, started_at and finished_at of each run, as Unix times."""
        uids = [run_id.removeprefix("run_") for run_id in run_ids]
        with self.cluster.admin(DATABASE) as db:
            rows = db.execute(
                "SELECT uid::text, extract(epoch FROM queued_at)::float8, "
                "extract(epoch FROM started_at)::float8, extract(epoch FROM finished_at)::float8 "
                "FROM history_run WHERE uid = ANY(%s::uuid[])",
                [uids],
            ).fetchall()
        by_uid = {uid.replace("-", ""): times for uid, *times in rows}
        return [tuple(by_uid[uid]) for uid in uids]

    # -- phases ------------------------------------------------------------------------------------

    def phase(self, concurrency: int, slug: str, runs: int, burst: bool = False) -> Runs:
        """One worker lifetime: warm it up, then the measured runs, with the WAL they wrote."""
        worker = Worker(concurrency, self.home)
        try:
            worker.wait_ready(self.app)
            warm = [self.start(slug)[0] for _ in range(WARM_UP)]
            self.wait_all(warm)
            start = self.cluster.lsn()
            result = self.burst(slug, runs) if burst else self.sequential(slug, runs)
            result.wal = self.cluster.wal_between(start, self.cluster.lsn())
        except BaseException:
            print(f"--- worker log ---\n{worker.tail()}", file=sys.stderr)
            print(f"--- web log ---\n{self.web_tail()}", file=sys.stderr)
            raise
        finally:
            worker.stop()
        return result

    def sequential(self, slug: str, n: int) -> Runs:
        """One run at a time, each started with ?wait= as a client that wants the result would;
        a POST that answers before the run has finished (the server's waits all taken) is
        followed by polling.
        """
        run_ids: list[str] = []
        result = Runs(0.0, Wal(0, 0), n)
        sent_at: list[float] = []
        seen_at: list[float] = []
        began = time.perf_counter()
        for _ in range(n):
            sent_at.append(time.time())
            sent = time.perf_counter()
            run_id, status = self.start(slug, wait=WAIT_SECONDS)
            run_ids.append(run_id)
            if status == "success":
                result.waited += 1
            else:
                self.wait(run_id)
            seen_at.append(time.time())
            result.latencies.append(time.perf_counter() - sent)
        result.wall = time.perf_counter() - began
        for (queued, started, finished), sent_wall, seen in zip(
            self.timestamps(run_ids), sent_at, seen_at, strict=True
        ):
            result.posts.append(queued - sent_wall)
            result.pickups.append(started - queued)
            result.durations.append(finished - started)
            result.seen.append(seen - finished)
        return result

    def burst(self, slug: str, n: int) -> Runs:
        first = time.time()
        run_ids = [self.start(slug)[0] for _ in range(n)]
        self.wait_all(run_ids)
        times = self.timestamps(run_ids)
        result = Runs(max(done for _, _, done in times) - first, Wal(0, 0), n)
        result.pickups = [started - queued for queued, started, _ in times]
        result.durations = [done - started for _, started, done in times]
        return result

    def repetition(self, sequential: int, burst: int) -> dict[str, Runs]:
        phases = {
            "ten": self.phase(1, TEN, sequential),
            "zero": self.phase(1, ZERO, sequential),
        }
        if burst:
            phases["burst"] = self.phase(2, TEN, burst, burst=True)
        return phases
