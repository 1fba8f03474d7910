"""Engine benchmark: throughput, per-step overhead and database work of real Celery workers.

Run by hand from the repository root; it is not a test:

    .venv/bin/python bench/engine.py [--sequential 300] [--burst 1000] [--workers 2] [--markdown]

It needs PostgreSQL on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379. It creates a
throwaway database and a private queue, starts real workers, and removes everything at the end,
also on failure or Ctrl-C. docs/benchmarks.md explains the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import os
import pstats
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgresql://postgres@127.0.0.1:5432"
REDIS = "redis://127.0.0.1:6379/0"
TEN, ZERO, STEPS = "bench-ten-steps", "bench-zero-steps", 10
# Runs at the start of each worker's life that import code and open connections: counted in the
# database totals (they do the same work), left out of the timings.
WARM_UP = 5
POLL_SECONDS = 0.001
STAT_COLUMNS = ("xact_commit", "xact_rollback", "tup_inserted", "tup_updated")


# -- environment, database and worker -------------------------------------------------------------


def configure_environment(dbname: str, home: Path) -> None:
    """Point Django and Celery at this benchmark's database, queue and project; before Django is imported."""
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
    sys.path.insert(0, str(ROOT))


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    name = f"keystroke_bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        # Django sets the session time zone on connect unless it is already UTC: a statement that
        # would otherwise show up in the commit counts as connection set-up.
        admin.execute(sql.SQL("ALTER DATABASE {} SET timezone TO 'UTC'").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


class Worker:
    """A real Celery worker in a session of its own, so stopping it reaches every process it forked."""

    def __init__(self, concurrency: int, home: Path) -> None:
        self.node = f"bench-{secrets.token_hex(3)}@{socket.gethostname()}"
        self.log = home / f"{self.node.partition('@')[0]}.log"
        args = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "keystroke_site",
            "worker",
            "-l",
            "warning",
            "-c",
            str(concurrency),
            "--pool",
            "prefork",
            "-n",
            self.node,
        ]
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                args, cwd=ROOT, env=dict(os.environ), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_ready(self, app: Any, timeout: float = 60) -> None:
        # Readiness is asked over the broker rather than read from an info-level log, because
        # info logging writes two lines per task and would be timed along with the engine.
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


# -- database statistics ------------------------------------------------------------------------------


class ServerStats:
    """pg_stat_database counters of the benchmark database, read over a connection to another database."""

    def __init__(self, dbname: str) -> None:
        self.dbname = dbname
        self.conn = psycopg.connect(f"{SERVER}/postgres", autocommit=True)

    def read(self) -> dict[str, int]:
        self.conn.execute("SELECT pg_stat_clear_snapshot()")
        query = f"SELECT {', '.join(STAT_COLUMNS)} FROM pg_stat_database WHERE datname = %s"
        row = self.conn.execute(query, [self.dbname]).fetchone()
        assert row is not None
        return dict(zip(STAT_COLUMNS, row, strict=True))

    def settled(self) -> dict[str, int]:
        """The counters once every client has left: a backend flushes them when it exits."""
        query = "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = 'client backend'"
        last: dict[str, int] = {}
        for _ in range(100):
            time.sleep(0.6)
            row = self.conn.execute(query, [self.dbname]).fetchone()
            now = self.read()
            if row == (0,) and now == last:
                return now
            last = now
        raise RuntimeError("pg_stat_database did not settle; is something else using the benchmark database?")

    def close(self) -> None:
        self.conn.close()


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in STAT_COLUMNS}


# -- the benchmark process's side ---------------------------------------------------------------------


class Client:
    """Submits and polls runs, and counts its own commits so they can be taken out of the totals."""

    def __init__(self) -> None:
        from history.models import Organization
        from workflows.registry import registry

        org = Organization.objects.default()
        self.fields = {"organization": org, "project": org.default_project()}
        self.registry = registry
        self.commits = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]) -> Any:
        """Django execute wrapper: a statement outside transaction.atomic is a transaction of its own."""
        if not context["connection"].in_atomic_block:
            self.commits += 1
        return execute(sql, params, many, context)

    def submit(self, slug: str) -> int:
        from django.db import transaction

        from workflows import store

        # Committed on its own, so its message is sent on commit as in production.
        with transaction.atomic():
            run = store.create_run_txn(self.registry.workflow(slug), {}, **self.fields)
        self.commits += 1
        return int(run.pk)

    def wait(self, pk: int, timeout: float = 30) -> None:
        from history.models import Run

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            status = Run.objects.filter(pk=pk).values_list("status", flat=True).get()
            if status == Run.Status.SUCCESS:
                return
            if status in Run.TERMINAL:
                raise RuntimeError(f"Run {pk} ended {status}: {Run.objects.get(pk=pk).error}")
            time.sleep(POLL_SECONDS)
        raise RuntimeError(f"Run {pk} did not finish within {timeout:g}s")

    def wait_all(self, pks: list[int], timeout: float = 600) -> None:
        from django.db.models import Count

        from history.models import Run

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = Run.objects.filter(pk__range=(min(pks), max(pks))).values_list("status").annotate(n=Count("id"))
            counts = dict(rows)
            if set(counts) - {Run.Status.SUCCESS, *Run.ACTIVE}:
                raise RuntimeError(f"Some runs did not succeed: {counts}")
            if counts.get(Run.Status.SUCCESS) == len(pks):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{len(pks)} runs did not finish within {timeout:g}s")


def run_rows(pks: list[int]) -> list[tuple[Any, Any]]:
    from history.models import Run

    return list(Run.objects.filter(pk__in=pks).values_list("started_at", "finished_at"))


# -- phases ------------------------------------------------------------------------------------------------


@dataclass
class Phase:
    runs: int
    wall: float
    durations: list[float]  # seconds, finished_at - started_at of each measured run
    latencies: list[float] = field(default_factory=list)  # seconds, submit to success seen
    counters: dict[str, int] = field(default_factory=dict)  # per run, the workers' share
    extra: dict[str, float] = field(default_factory=dict)


@dataclass
class Bench:
    dbname: str
    home: Path
    stats: ServerStats
    client: Client
    app: Any

    def settle(self) -> dict[str, int]:
        from django.db import connection

        connection.close()  # its backend exits and flushes its counters
        return self.stats.settled()


Drive = Callable[[Client], tuple[list[int], float, dict[str, Any]]]


def worker_phase(bench: Bench, concurrency: int, slug: str, drive: Drive) -> Phase:
    """One worker lifetime: warm it up, drive runs through it, and count what the database did."""
    before, client_before = bench.settle(), bench.client.commits
    worker = Worker(concurrency, bench.home)
    try:
        worker.wait_ready(bench.app)
        bench.client.wait_all([bench.client.submit(slug) for _ in range(WARM_UP)])
        pks, wall, extra = drive(bench.client)
    except BaseException:
        print(f"--- worker log ---\n{worker.tail()}", file=sys.stderr)
        raise
    finally:
        worker.stop()
    counters = delta(before, bench.settle())
    total = len(pks) + WARM_UP
    counters["xact_commit"] -= bench.client.commits - client_before
    counters["tup_inserted"] -= total  # the run rows the client inserted
    durations = [(done - start).total_seconds() for start, done in run_rows(pks)]
    per_run = {name: value / total for name, value in counters.items()}
    return Phase(len(pks), wall, durations, extra.pop("latencies", []), per_run, extra)


def sequential(slug: str, n: int) -> Drive:
    def drive(client: Client) -> tuple[list[int], float, dict[str, Any]]:
        pks, latencies = [], []
        start = time.perf_counter()
        for _ in range(n):
            submitted = time.perf_counter()
            pks.append(client.submit(slug))
            client.wait(pks[-1])
            latencies.append(time.perf_counter() - submitted)
        return pks, time.perf_counter() - start, {"latencies": latencies}

    return drive


def burst(slug: str, n: int) -> Drive:
    def drive(client: Client) -> tuple[list[int], float, dict[str, Any]]:
        from django.utils import timezone

        first = timezone.now()
        start = time.perf_counter()
        pks = [client.submit(slug) for _ in range(n)]
        submit_seconds = time.perf_counter() - start
        client.wait_all(pks)
        last = max(done for _, done in run_rows(pks))
        return pks, (last - first).total_seconds(), {"submit_seconds": submit_seconds}

    return drive


@dataclass
class InProcess:
    seconds: list[float]
    commits: float
    statements: list[str]
    profile: str = ""


def in_process(bench: Bench, slug: str, n: int, profile: bool = False) -> InProcess:
    """resume_run called here, without Celery: its SQL statements, commits and time per run."""
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflows import store
    from workflows.runner import resume_run

    with mock.patch.object(store, "enqueue_on_commit"):  # executed here, so no worker message
        pks = [bench.client.submit(slug) for _ in range(n + 1)]
    before, seconds = bench.settle(), []
    profiler = cProfile.Profile() if profile else None
    for pk in pks[:-1]:
        start = time.perf_counter()
        with profiler or contextlib.nullcontext():
            outcome = resume_run(pk)
        seconds.append(time.perf_counter() - start)
        assert outcome == "completed", outcome
    with CaptureQueriesContext(connection) as queries:
        resume_run(pks[-1])
    commits = delta(before, bench.settle())["xact_commit"] / (n + 1)
    # The first pass after settle() also opens a connection; keep it out of the timings.
    return InProcess(seconds[1:], commits, [q["sql"] for q in queries.captured_queries], _top(profiler))


def _top(profiler: cProfile.Profile | None) -> str:
    if profiler is None:
        return ""
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
    return out.getvalue()


def baseline(dbname: str, n: int) -> dict[str, list[float]]:
    """A single-row INSERT committed on its own (a step's ideal cost), and a bare round trip."""
    # Client-side binding, as Django's PostgreSQL backend uses by default.
    with psycopg.connect(f"{SERVER}/{dbname}", autocommit=True, cursor_factory=psycopg.ClientCursor) as conn:
        conn.execute(
            "CREATE TABLE bench_baseline (id bigserial PRIMARY KEY, run_id bigint NOT NULL, position integer NOT NULL,"
            " output jsonb, finished_at timestamptz NOT NULL)"
        )
        insert = "INSERT INTO bench_baseline (run_id, position, output, finished_at) VALUES (%s, %s, %s, now())"
        inserts = [_timed(lambda i=i: conn.execute(insert, [1, i, '{"n": 1}'])) for i in range(n)]
        selects = [_timed(lambda: conn.execute("SELECT 1").fetchone()) for _ in range(n)]
        conn.execute("DROP TABLE bench_baseline")
    return {"insert": inserts, "select": selects}


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# -- the report ----------------------------------------------------------------------------------------------


def mean_ms(values: list[float], per: int = 1) -> float:
    return statistics.fmean(values) * 1000 / per


def p95_ms(values: list[float], per: int = 1) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1] * 1000 / per


def spread(values: list[float], per: int = 1) -> str:
    return f"mean {mean_ms(values, per):.3f} ms, p95 {p95_ms(values, per):.3f} ms"


def statement_label(text: str) -> str:
    patterns = (("INSERT", r"INSERT INTO \"?(\w+)"), ("UPDATE", r"^UPDATE \"?(\w+)"), ("SELECT", r"FROM \"?(\w+)"))
    for verb, pattern in patterns:
        match = re.search(pattern, text.strip(), re.IGNORECASE)
        if match:
            return f"{verb} {match.group(1)}"
    return text.split()[0].upper()


def breakdown(statements: list[str]) -> str:
    return ", ".join(f"{n} × {label}" for label, n in Counter(map(statement_label, statements)).items())


class Report:
    def __init__(self, title: str) -> None:
        self.title = title
        self.sections: list[tuple[str, list[tuple[str, str]]]] = []

    def section(self, name: str) -> None:
        self.sections.append((name, []))

    def add(self, label: str, value: str) -> None:
        self.sections[-1][1].append((label, value))

    def text(self) -> str:
        width = max(len(label) for _, rows in self.sections for label, _ in rows) + 2
        lines = [self.title, "=" * len(self.title)]
        for name, rows in self.sections:
            lines += ["", name, "-" * len(name), *(f"  {label.ljust(width)}{value}" for label, value in rows)]
        return "\n".join(lines)

    def markdown(self) -> str:
        lines = [f"### {self.title}"]
        for name, rows in self.sections:
            lines += ["", f"**{name}**", "", "| Measure | Value |", "| --- | --- |"]
            lines += [f"| {label} | {value} |" for label, value in rows]
        return "\n".join(lines)


def describe_machine(dbname: str) -> str:
    import celery
    import django
    import redis

    with psycopg.connect(f"{SERVER}/{dbname}") as conn:
        row = conn.execute("SHOW server_version").fetchone()
    server = redis.Redis.from_url(REDIS).info("server")["redis_version"]
    return (
        f"{os.cpu_count()} cores, PostgreSQL {row[0] if row else '?'}, Redis {server}, Python {sys.version.split()[0]},"
        f" Django {django.get_version()}, Celery {celery.__version__}"
    )


def report_baseline(report: Report, base: dict[str, list[float]]) -> None:
    report.section(f"Baseline: psycopg, autocommit, {len(base['insert'])} times each")
    report.add("single-row INSERT + COMMIT", spread(base["insert"]))
    report.add("SELECT 1 round trip", spread(base["select"]))


def report_sequential(report: Report, ten: Phase, zero: Phase, workers: int) -> None:
    report.section(f"Sequential: {ten.runs} × {TEN}, one at a time, worker -c {workers}")
    report.add("throughput", f"{ten.runs / ten.wall:.1f} runs/s ({ten.runs * STEPS / ten.wall:.0f} steps/s)")
    report.add("per-step overhead (run duration / 10)", spread(ten.durations, STEPS))
    report.add("run duration (started_at → finished_at)", spread(ten.durations))
    report.add("end-to-end latency (submit → success seen)", spread(ten.latencies))
    report.add(f"{ZERO} run duration ({zero.runs} runs)", spread(zero.durations))
    report.add(f"{ZERO} end-to-end latency", spread(zero.latencies))
    marginal = (mean_ms(ten.durations) - mean_ms(zero.durations)) / STEPS
    report.add("marginal cost of a step ((ten − zero) / 10)", f"mean {marginal:.3f} ms")


def report_burst(report: Report, phase: Phase, workers: int) -> None:
    report.section(f"Burst: {phase.runs} × {TEN} submitted at once, worker -c {workers}")
    report.add("throughput (first submit → last finished_at)", f"{phase.runs / phase.wall:.1f} runs/s")
    report.add("submitting alone took", f"{phase.extra['submit_seconds']:.2f} s")
    report.add("per-step overhead (run duration / 10)", spread(phase.durations, STEPS))


def report_database(
    report: Report, ten: Phase, zero: Phase, burst_phase: Phase | None, sql: dict[str, InProcess]
) -> None:
    report.section("Database work per run (pg_stat_database, workers' share; in-process statement capture)")
    for name, phase in ((f"{TEN}, sequential", ten), (f"{TEN}, burst", burst_phase), (ZERO, zero)):
        if phase is not None:
            c = phase.counters
            rows = f"{c['tup_inserted']:.2f} inserted, {c['tup_updated']:.2f} updated"
            report.add(
                f"commits per run: {name}", f"{c['xact_commit']:.2f} ({rows}, {c['xact_rollback']:.2f} rollbacks)"
            )
    marginal = (ten.counters["xact_commit"] - zero.counters["xact_commit"]) / STEPS
    report.add("commits per step, all-in (run / 10)", f"{ten.counters['xact_commit'] / STEPS:.2f}")
    report.add("commits per step, marginal ((ten − zero) / 10)", f"{marginal:.2f}")
    statements = {slug: len(result.statements) for slug, result in sql.items()}
    report.add(f"SQL statements per pass: {TEN}", f"{statements[TEN]} ({breakdown(sql[TEN].statements)})")
    report.add(f"SQL statements per pass: {ZERO}", f"{statements[ZERO]} ({breakdown(sql[ZERO].statements)})")
    report.add(
        "statements per step, all-in / marginal",
        f"{statements[TEN] / STEPS:.2f} / {(statements[TEN] - statements[ZERO]) / STEPS:.2f}",
    )
    report.add("commits per pass in-process (ten / zero)", f"{sql[TEN].commits:.2f} / {sql[ZERO].commits:.2f}")
    in_process_step = (mean_ms(sql[TEN].seconds) - mean_ms(sql[ZERO].seconds)) / STEPS
    report.add("in-process resume_run: ten / zero", f"{spread(sql[TEN].seconds)} / {spread(sql[ZERO].seconds)}")
    report.add("in-process marginal cost of a step", f"mean {in_process_step:.3f} ms")


def report_aims(
    report: Report, base: dict[str, list[float]], phases: dict[str, Phase], sql: dict[str, InProcess]
) -> None:
    report.section("Aims")
    ten, zero = phases["sequential"], phases["zero"]
    marginal = (ten.counters["xact_commit"] - zero.counters["xact_commit"]) / STEPS
    verdict = "met" if marginal <= 1.0 else "missed"
    report.add(
        "≤ 1 commit per recorded step",
        f"{verdict}: {marginal:.2f} marginal, {ten.counters['xact_commit'] / STEPS:.2f} all-in",
    )
    loads = [statement_label(s) for s in sql[TEN].statements].count("SELECT history_step")
    report.add(
        "a run's replay loaded in one query", f"{'met' if loads == 1 else 'missed'}: {loads} step-log query per pass"
    )
    insert = mean_ms(base["insert"])
    for name, phase in phases.items():
        if name != "zero":
            ratio = mean_ms(phase.durations, STEPS) / insert
            report.add(
                f"per-step overhead ≤ 3× insert+commit ({name})", f"{'met' if ratio <= 3 else 'missed'}: {ratio:.1f}×"
            )
    step = (mean_ms(ten.durations) - mean_ms(zero.durations)) / STEPS
    report.add(
        "same, marginal cost of a step (sequential)",
        f"{'met' if step / insert <= 3 else 'missed'}: {step / insert:.1f}×",
    )


# -- main ------------------------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, dbname: str, home: Path) -> Report:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    from keystroke_site.celery import app

    bench = Bench(dbname, home, ServerStats(dbname), Client(), app)
    report = Report(f"Keystroke engine benchmark — {describe_machine(dbname)}")
    try:
        with connection.execute_wrapper(bench.client):
            results = run_phases(args, bench)
    finally:
        bench.stats.close()
        _delete_queue(app)
    write_report(report, args, *results)
    return report


def run_phases(args: argparse.Namespace, bench: Bench) -> tuple[Any, ...]:
    progress = print if args.verbose else (lambda *a, **k: None)
    progress("baseline…", file=sys.stderr)
    base = baseline(bench.dbname, args.baseline)
    progress("in-process passes…", file=sys.stderr)
    sql = {slug: in_process(bench, slug, args.in_process, args.profile and slug == TEN) for slug in (TEN, ZERO)}
    progress("sequential…", file=sys.stderr)
    phases = {"sequential": worker_phase(bench, 1, TEN, sequential(TEN, args.sequential))}
    phases["zero"] = worker_phase(bench, 1, ZERO, sequential(ZERO, args.zero))
    if args.burst:
        progress("burst…", file=sys.stderr)
        phases["burst"] = worker_phase(bench, args.workers, TEN, burst(TEN, args.burst))
    return base, sql, phases


def write_report(report: Report, args: argparse.Namespace, base: Any, sql: Any, phases: dict[str, Phase]) -> None:
    report_baseline(report, base)
    report_sequential(report, phases["sequential"], phases["zero"], 1)
    if "burst" in phases:
        report_burst(report, phases["burst"], args.workers)
    report_database(report, phases["sequential"], phases["zero"], phases.get("burst"), sql)
    report_aims(report, base, phases, sql)
    report.profile = sql[TEN].profile  # type: ignore[attr-defined]


def _delete_queue(app: Any) -> None:
    with contextlib.suppress(Exception), app.connection_for_write() as conn:
        conn.default_channel.queue_delete(os.environ["KEYSTROKE_QUEUE"])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sequential", type=int, default=300, help=f"{TEN} runs one after another (-c 1)")
    parser.add_argument("--zero", type=int, default=100, help=f"{ZERO} runs one after another, the fixed cost")
    parser.add_argument("--burst", type=int, default=1000, help=f"{TEN} runs submitted at once (0 to skip)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for the burst")
    parser.add_argument("--baseline", type=int, default=2000, help="single-row INSERT + COMMIT repetitions")
    parser.add_argument("--in-process", type=int, default=50, help="passes per workflow run here, without Celery")
    parser.add_argument("--markdown", action="store_true", help="also print a section for docs/benchmarks.md")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the in-process ten-step passes")
    parser.add_argument("-v", "--verbose", action="store_true", help="say which phase is running, on stderr")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM ends the benchmark like Ctrl-C does: through the finally blocks that drop the database.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    home = Path(tempfile.mkdtemp(prefix="keystroke-bench-"))
    try:
        with throwaway_database() as dbname:
            configure_environment(dbname, home)
            report = measure(args, dbname, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(report.text())
    if args.markdown:
        print(f"\n{report.markdown()}")
    if args.profile:
        print(f"\n{report.profile}")  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    sys.exit(main())
