"""A chaos run: workflows submitted through the API while workers are killed and the database
and the broker restart, then a check that nothing was lost, doubled or failed.

Everything runs on private servers (PostgreSQL and Redis on ports of their own, stopped by
PID), so the shared ones are never touched. ``tests/production/test_chaos.py`` runs a small
one in the suite; ``bench/chaos.py`` runs a large one by hand.
"""

from __future__ import annotations

import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

from .services import PrivatePostgres, PrivateRedis, free_port
from .support import ROOT, Process, process_env, wait_for

KEYSTROKE = str(Path(sys.executable).with_name("keystroke"))


@dataclass(frozen=True)
class ChaosPlan:
    runs: int = 60
    workers: int = 3
    submit_seconds: float = 30.0
    kill_every: float = 4.0
    kills: int = 4  # the worker kills the chaos goes on to, however slowly they come
    settle_seconds: float = 120.0
    step_seconds: float = 0.2
    seed: int = 0


@dataclass
class ChaosReport:
    submitted: int = 0
    accepted: int = 0
    runs: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    duplicate_keys: int = 0
    created_behind_5xx: int = 0
    duplicate_steps: int = 0
    misshapen_runs: int = 0
    server_errors: Counter[int] = field(default_factory=Counter)
    unanswered: int = 0
    kills: int = 0
    restarts: list[str] = field(default_factory=list)
    exited_on_their_own: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def problems(self) -> list[str]:
        found = []
        if self.accepted != self.submitted:
            found.append(f"{self.submitted - self.accepted} submissions were never accepted")
        if self.runs != self.submitted:
            found.append(f"{self.runs} runs for {self.submitted} submissions")
        if self.statuses.get("success", 0) != self.runs:
            found.append(f"not every run succeeded: {dict(self.statuses)}")
        if self.duplicate_keys:
            found.append(f"{self.duplicate_keys} idempotency keys started more than one run")
        if self.created_behind_5xx:
            found.append(
                f"{self.created_behind_5xx} runs were created by a request that answered 5xx"
            )
        if self.duplicate_steps:
            found.append(f"{self.duplicate_steps} steps were recorded twice")
        if self.misshapen_runs:
            found.append(
                f"{self.misshapen_runs} runs do not have exactly their three steps, numbered 0 to 2"
            )
        if self.exited_on_their_own:
            found.append(f"processes exited on their own: {self.exited_on_their_own}")
        return found

    def lines(self) -> list[str]:
        return [
            f"submitted {self.submitted}, accepted {self.accepted}, runs {self.runs}: "
            f"{dict(self.statuses)}",
            f"worker SIGKILLs {self.kills}; restarts: {', '.join(self.restarts) or 'none'}",
            f"answers retried by the client: {dict(self.server_errors)} 5xx, {self.unanswered} "
            "without an answer",
            f"duplicate runs per key {self.duplicate_keys}, duplicate steps {self.duplicate_steps},"
            f" runs without exactly their three steps {self.misshapen_runs},"
            f" runs created behind a 5xx {self.created_behind_5xx}",
            f"processes that exited on their own: {self.exited_on_their_own or 'none'}",
            f"{self.seconds:.1f} s in all",
        ]


class Chaos:
    """The system on private servers: gunicorn, beat and workers, all started as in production."""

    def __init__(self, plan: ChaosPlan, log_dir: Path) -> None:
        self.plan, self.log_dir = plan, log_dir
        self.random = random.Random(plan.seed)
        self.report = ChaosReport()
        self.pg = PrivatePostgres().start()
        self.redis = PrivateRedis().start()
        self.home = tempfile.mkdtemp(prefix="keystroke-chaos-")
        self.env = {
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": self.pg.createdb("keystroke_chaos"),
            "CELERY_BROKER_URL": self.redis.url,
            "KEYSTROKE_HOME": self.home,
            "KEYSTROKE_QUEUE": f"chaos-{uuid.uuid4().hex[:8]}",
        }
        self.workers: list[Process] = []
        self.others: list[Process] = []
        self.killed: set[int] = set()
        self.lock = threading.Lock()
        self.port = free_port()
        self.key = ""

    # -- processes --------------------------------------------------------------------------

    def _process(self, name: str, args: list[str], ready: str) -> Process:
        return Process(name, args, self.log_dir, ready_text=ready, env=self.env)

    def start(self) -> None:
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run(
            [*manage, "migrate", "--noinput"], env=self._env(), check=True, capture_output=True
        )
        done = subprocess.run(
            [*manage, "create_api_key", "--name", "chaos"],
            env=self._env(),
            check=True,
            capture_output=True,
            text=True,
        )
        self.key = done.stdout.strip().splitlines()[-1]
        web = [KEYSTROKE, "serve", "--port", str(self.port), "--workers", "2"]
        self.others.append(self._process("web", web, "Booting worker"))
        beat = [sys.executable, "-m", "celery", "-A", "keystroke_site", "beat", "-l", "info"]
        self.others.append(
            self._process("beat", [*beat, "-s", f"{self.home}/beat-schedule"], "beat: Starting")
        )
        for _ in range(self.plan.workers):
            self.add_worker()

    def _env(self) -> dict[str, str]:
        return process_env(**self.env)

    def add_worker(self) -> None:
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
            "2",
        ]
        worker = self._process("worker", args, " ready.")
        with self.lock:
            self.workers.append(worker)

    def kill_a_worker(self) -> None:
        with self.lock:
            alive = [w for w in self.workers if w.proc.poll() is None]
            victim = self.random.choice(alive)
            self.killed.add(victim.proc.pid)
        victim.kill()
        self.report.kills += 1
        self.add_worker()

    def stop(self) -> None:
        for process in [*self.workers, *self.others]:
            if process.proc.poll() is not None and process.proc.pid not in self.killed:
                self.report.exited_on_their_own.append(f"{process.name} {process.proc.pid}")
            process.stop()
        self.redis.close()
        self.pg.close()

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(
            f"--- {p.name} ---\n{p.output()[-tail:]}" for p in [*self.others, *self.workers]
        )

    # -- load and faults -----------------------------------------------------------------------

    def submit(self, index: int, client: httpx.Client, deadline: float) -> None:
        """One submission: retried with the same Idempotency-Key until it is accepted."""
        key = f"chaos-{index}"
        body = {"marker": f"{self.home}/effects-{index}", "slow_seconds": self.plan.step_seconds}
        self.report.submitted += 1
        delay, answered_5xx = 0.2, False
        while time.monotonic() < deadline:
            try:
                response = client.post(
                    "/api/workflows/three-steps", json=body, headers={"Idempotency-Key": key}
                )
            except httpx.TransportError:
                self.report.unanswered += 1
            else:
                if response.status_code in (200, 202):
                    self.report.accepted += 1
                    # 200 is the replay of an earlier attempt: if that one answered 5xx, it lied.
                    self.report.created_behind_5xx += answered_5xx and response.status_code == 200
                    return
                if response.status_code < 500:
                    raise AssertionError(
                        f"submission {index}: {response.status_code} {response.text}"
                    )
                self.report.server_errors[response.status_code] += 1
                answered_5xx = True
            time.sleep(delay)
            delay = min(delay * 2, 2.0)

    def faults(self, stop: threading.Event) -> None:
        """Kill a worker every few seconds; restart PostgreSQL once and Redis once on the way."""
        started = time.monotonic()
        pending = [
            (self.plan.submit_seconds / 3, "postgres"),
            (2 * self.plan.submit_seconds / 3, "redis"),
        ]
        while not stop.wait(self.plan.kill_every):
            self.kill_a_worker()
            if pending and time.monotonic() - started >= pending[0][0]:
                _, name = pending.pop(0)
                (self.pg if name == "postgres" else self.redis).restart(down_seconds=2.0)
                self.report.restarts.append(name)

    def run(self) -> ChaosReport:
        began = time.monotonic()
        stop = threading.Event()
        chaos = threading.Thread(target=self.faults, args=(stop,), name="chaos", daemon=True)
        headers = {"Authorization": f"Bearer {self.key}"}
        with httpx.Client(
            base_url=f"http://127.0.0.1:{self.port}", headers=headers, timeout=30
        ) as client:
            chaos.start()
            deadline = time.monotonic() + self.plan.submit_seconds + self.plan.settle_seconds
            gap = self.plan.submit_seconds / self.plan.runs
            for index in range(self.plan.runs):
                self.submit(index, client, deadline)
                time.sleep(gap)
            # Until both restarts and the plan's kills are done: on a slow machine each kill waits
            # for its replacement worker to start, so fewer fit in the submissions' time.
            while (
                chaos.is_alive()
                and time.monotonic() < deadline
                and (
                    self.report.restarts != ["postgres", "redis"]
                    or self.report.kills < self.plan.kills
                )
            ):
                time.sleep(0.5)
            stop.set()
            chaos.join()
            wait_for(
                self._all_finished, self.plan.settle_seconds, interval=1, what="every run to finish"
            )
        self._check()
        self.report.seconds = time.monotonic() - began
        return self.report

    # -- the verdict ------------------------------------------------------------------------------

    def _query(self, sql: str) -> list[tuple]:
        with psycopg.connect(
            self.env["DATABASE_URL"].replace("postgres://", "postgresql://")
        ) as db:
            return db.execute(sql).fetchall()

    def _all_finished(self) -> bool:
        try:
            rows = self._query(
                "SELECT count(*) FROM history_run WHERE status NOT IN ('success', 'failed', "
                f"'canceled') AND input->>'marker' LIKE '{self.home}/effects-%'"
            )
        except psycopg.OperationalError:
            return False
        return rows[0][0] == 0 and self.report.accepted == self.report.submitted

    def _check(self) -> None:
        # Only the submitted runs: a schedule of the test project may fire while the run goes on.
        mine = f"input->>'marker' LIKE '{self.home}/effects-%'"
        self.report.runs = self._query(f"SELECT count(*) FROM history_run WHERE {mine}")[0][0]
        self.report.statuses = Counter(
            dict(
                self._query(
                    f"SELECT status, count(*) FROM history_run WHERE {mine} GROUP BY status"
                )
            )
        )
        self.report.duplicate_keys = self._query(
            "SELECT count(*) FROM (SELECT input->>'marker' FROM history_run GROUP BY 1 HAVING "
            "count(*) > 1) d"
        )[0][0]
        self.report.duplicate_steps = self._query(
            "SELECT count(*) FROM (SELECT run_id, step_id FROM history_step GROUP BY 1, 2 HAVING "
            "count(*) > 1) d"
        )[0][0]
        self.report.misshapen_runs = self._query(
            f"SELECT count(*) FROM history_run r WHERE {mine} AND (SELECT array_agg(s.step_id "
            "ORDER BY s.position) FROM history_step s WHERE s.run_id = r.id)"
            " IS DISTINCT FROM ARRAY['step:effect#0', 'step:effect#1', 'step:effect#2']::varchar[]"
        )[0][0]
