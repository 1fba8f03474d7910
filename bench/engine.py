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
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import psycopg
from engine_report import (
    REDIS,
    TEN,
    ZERO,
    InProcess,
    Phase,
    Report,
    StatementTimes,
    cpu_times,
    describe_machine,
    mean_ms,
    report_aims,
    report_baseline,
    report_burst,
    report_database,
    report_sequential,
    steal_share,
)
from engine_setup import (
    SERVER,
    Worker,
    configure_environment,
    throwaway_database,
)

# Runs at the start of each worker's life that import code and open connections: counted in the
# database totals (they do the same work), left out of the timings.
WARM_UP = 5
POLL_SECONDS = 0.001
STAT_COLUMNS = ("xact_commit", "xact_rollback", "tup_inserted", "tup_updated")


# -- database statistics ---------------------------------------------------------------------------


def settled_counters(admin: psycopg.Connection[Any], dbname: str) -> dict[str, int]:
    """pg_stat_database counters of the benchmark database once every client has left it.

    A backend flushes its counters at most once a second while busy, and when it exits.
    """
    clients = (
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND backend_type = "
        "'client backend'"
    )
    counters = f"SELECT {', '.join(STAT_COLUMNS)} FROM pg_stat_database WHERE datname = %s"
    last: tuple[Any, ...] = ()
    for _ in range(100):
        time.sleep(0.6)
        admin.execute("SELECT pg_stat_clear_snapshot()")
        busy = admin.execute(clients, [dbname]).fetchone()
        now = admin.execute(counters, [dbname]).fetchone() or ()
        if busy == (0,) and now == last:
            return dict(zip(STAT_COLUMNS, now, strict=True))
        last = now
    raise RuntimeError(
        "pg_stat_database did not settle: is something else using the benchmark database?"
    )


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {name: after[name] - before[name] for name in STAT_COLUMNS}


# -- the benchmark process's side ------------------------------------------------------------------


class Client:
    """Submits and polls runs, and counts its own commits so they can be taken out of the totals."""

    def __init__(self) -> None:
        from history.access import Actor
        from history.models import Organization, Role
        from workflows.origins import RunOrigin
        from workflows.registry import registry

        org = Organization.objects.default()
        self.origin = RunOrigin.api(Actor(org, Role.ADMIN, "bench"))
        self.registry = registry
        self.commits = 0

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        """Django execute wrapper: a statement outside transaction.atomic is a transaction of its
        own.
        """
        if not context["connection"].in_atomic_block:
            self.commits += 1
        return execute(sql, params, many, context)

    def submit(self, slug: str) -> int:
        from django.db import transaction

        from workflows import store

        # Committed on its own, so its message is sent on commit as in production.
        with transaction.atomic():
            run = store.create_run_txn(self.registry.workflow(slug), {}, self.origin)
        self.commits += 1
        return int(run.pk)

    def wait(self, pk: int, head_start: float = 0, timeout: float = 30) -> None:
        """Poll every millisecond, after sleeping through most of the expected latency.

        Polling from the start would put a query a millisecond on the two cores the worker needs.
        """
        from history.models import Run

        time.sleep(head_start)
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
            rows = (
                Run.objects.filter(pk__range=(min(pks), max(pks)))
                .values_list("status")
                .annotate(n=Count("id"))
            )
            counts = dict(rows)
            if set(counts) - {Run.Status.SUCCESS, *Run.ACTIVE}:
                raise RuntimeError(f"Some runs did not succeed: {counts}")
            if counts.get(Run.Status.SUCCESS) == len(pks):
                return
            time.sleep(0.05)
        raise RuntimeError(f"{len(pks)} runs did not finish within {timeout:g}s")


# -- phases ----------------------------------------------------------------------------------------


@dataclass
class Bench:
    dbname: str
    home: Path
    # to the maintenance database, so that reading counters adds none
    admin: psycopg.Connection[Any]
    client: Client
    app: Any

    def settle(self) -> dict[str, int]:
        from django.db import connection

        connection.close()  # its backend exits and flushes its counters
        return settled_counters(self.admin, self.dbname)


Drive = Callable[[Client], tuple[list[int], float, dict[str, Any]]]


def worker_phase(bench: Bench, concurrency: int, slug: str, drive: Drive) -> Phase:
    """One worker lifetime: warm it up, drive runs through it, and count what the database did."""
    from history.models import Run

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
    rows = list(
        Run.objects.filter(pk__in=pks).values_list("queued_at", "started_at", "finished_at")
    )
    durations = [(done - start).total_seconds() for _, start, done in rows]
    pickups = [(start - queued).total_seconds() for queued, start, _ in rows]
    per_run = {name: value / total for name, value in counters.items()}
    return Phase(len(pks), wall, durations, pickups, counters=per_run, **extra)


def sequential(slug: str, n: int, client: Client) -> tuple[list[int], float, dict[str, Any]]:
    pks, latencies = [], []
    start = time.perf_counter()
    for _ in range(n):
        submitted = time.perf_counter()
        pks.append(client.submit(slug))
        client.wait(pks[-1], head_start=0.8 * min(latencies, default=0))
        latencies.append(time.perf_counter() - submitted)
    return pks, time.perf_counter() - start, {"latencies": latencies}


def burst(slug: str, n: int, client: Client) -> tuple[list[int], float, dict[str, Any]]:
    from django.utils import timezone

    from history.models import Run

    first, start = timezone.now(), time.perf_counter()
    pks = [client.submit(slug) for _ in range(n)]
    submit_seconds = time.perf_counter() - start
    client.wait_all(pks)
    last = max(Run.objects.filter(pk__in=pks).values_list("finished_at", flat=True))
    return pks, (last - first).total_seconds(), {"submit_seconds": submit_seconds}


def in_process(bench: Bench, slug: str, n: int) -> InProcess:
    """resume_run called here, without Celery: its SQL statements, commits and time per pass."""
    from unittest import mock

    from django.db import connection

    from history.models import Run
    from workflows import queue
    from workflows.runner import resume_run
    from workflows.sdk import execute_workflow

    with mock.patch.object(queue, "enqueue_on_commit"):  # executed here, so no worker message
        pks = [bench.client.submit(slug) for _ in range(n + 1)]
    before, times = bench.settle(), StatementTimes()
    resume_run(pks[0])  # opens the connection settle() closed: kept out of the timings
    with connection.execute_wrapper(times):
        seconds = [timed(lambda pk=pk: resume_run(pk)) for pk in pks[1:-1]]
    last = StatementTimes()
    with connection.execute_wrapper(last):
        resume_run(pks[-1])
    commits = delta(before, bench.settle())["xact_commit"] / (n + 1)
    assert set(Run.objects.filter(pk__in=pks).values_list("status", flat=True)) == {
        Run.Status.SUCCESS
    }
    workflow = bench.client.registry.workflow(slug)
    alone = [timed(lambda: execute_workflow(workflow, {})) for _ in range(n)]
    statements = [sql for sql, _ in last.seen]
    return InProcess(seconds, commits, statements, times, alone)


def baseline(dbname: str, n: int) -> dict[str, list[float]]:
    """A single-row INSERT committed on its own (a step's ideal cost), and a bare round trip."""
    # Client-side binding, as Django's PostgreSQL backend uses by default.
    with psycopg.connect(
        f"{SERVER}/{dbname}", autocommit=True, cursor_factory=psycopg.ClientCursor
    ) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS bench_baseline (id bigserial PRIMARY KEY, run_id bigint "
            "NOT NULL, position integer NOT NULL, output jsonb, finished_at timestamptz NOT NULL)"
        )
        insert = (
            "INSERT INTO bench_baseline (run_id, position, output, finished_at) VALUES (%s, "
            "%s, %s, now())"
        )
        inserts = [timed(lambda i=i: conn.execute(insert, [1, i, '{"n": 1}'])) for i in range(n)]
        selects = [timed(lambda: conn.execute("SELECT 1").fetchone()) for _ in range(n)]
    return {"insert": inserts, "select": selects}


def timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


# -- the report ------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, dbname: str, home: Path) -> Report:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    from keystroke_site.celery import app

    load, cpu = os.getloadavg()[0], cpu_times()
    admin = psycopg.connect(f"{SERVER}/postgres", autocommit=True)
    report = Report(f"Keystroke engine benchmark — {describe_machine(admin)}")
    bench = Bench(dbname, home, admin, Client(), app)
    try:
        with connection.execute_wrapper(bench.client):
            bases, passes, phases = run_phases(args, bench)
    finally:
        admin.close()
        delete_queue(os.environ["KEYSTROKE_QUEUE"])
    report.title += (
        f"; load {load:.2f} at start, {os.getloadavg()[0]:.2f} at end; "
        f"{steal_share(cpu, cpu_times())}"
    )
    report_baseline(report, bases)
    report_sequential(report, phases["sequential"], phases["zero-step"])
    if "burst" in phases:
        report_burst(report, phases["burst"], args.workers)
    report_database(report, phases, passes)
    report_aims(report, mean_ms(bases[0]["insert"] + bases[1]["insert"]), phases, passes)
    return report


def delete_queue(queue: str) -> None:
    """Remove the private queue and the exchange Celery declared for it, under kombu's Redis key
    names.

    kombu's queue_delete only forgets bindings this process declared, which are none.
    """
    import redis

    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(REDIS).delete(
            queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"
        )


def run_phases(args: argparse.Namespace, bench: Bench) -> tuple[Any, ...]:
    def say(what: str) -> None:
        if args.verbose:
            print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr)

    say("baseline")
    bases = [baseline(bench.dbname, args.baseline)]
    say("in-process passes")
    passes = {slug: in_process(bench, slug, args.in_process) for slug in (TEN, ZERO)}
    say("sequential")
    phases = {"sequential": worker_phase(bench, 1, TEN, partial(sequential, TEN, args.sequential))}
    phases["zero-step"] = worker_phase(bench, 1, ZERO, partial(sequential, ZERO, args.zero))
    if args.burst:
        say("burst")
        phases["burst"] = worker_phase(bench, args.workers, TEN, partial(burst, TEN, args.burst))
    say("baseline again")
    bases.append(baseline(bench.dbname, args.baseline))
    return bases, passes, phases


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Throughput, per-step overhead and database work of the engine."
    )
    parser.add_argument(
        "--sequential", type=int, default=300, help=f"{TEN} runs one after another (-c 1)"
    )
    parser.add_argument(
        "--zero", type=int, default=100, help=f"{ZERO} runs one after another: a run's fixed cost"
    )
    parser.add_argument(
        "--burst", type=int, default=1000, help=f"{TEN} runs submitted at once (0 skips it)"
    )
    parser.add_argument("--workers", type=int, default=2, help="worker processes for the burst")
    parser.add_argument(
        "--baseline", type=int, default=2000, help="single-row INSERT + COMMIT repetitions"
    )
    parser.add_argument(
        "--in-process", type=int, default=100, help="passes per workflow run here, without Celery"
    )
    parser.add_argument(
        "--step-commits",
        choices=("each", "deferred", "batched"),
        default="each",
        help="the benchmark workflows' step_commits",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="also print a section for docs/benchmarks.md"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="say which phase is running, on stderr"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.environ["BENCH_STEP_COMMITS"] = (
        args.step_commits
    )  # read by bench/project, here and in workers
    # SIGTERM ends the benchmark as Ctrl-C does: through the finally blocks that drop the database.
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
