"""Prune benchmark: delete half of a million runs while History is being read.

Run by hand from the repository root; it is not a test:

    .venv/bin/python bench/prune.py [--runs 1000000] [--baseline 200] [--keep]

It needs PostgreSQL on 127.0.0.1:5432 (user postgres). Like bench/history.py it creates a
throwaway database and fills it with ``manage.py seed_history``; it adds a trigger delivery for
every webhook run, runs VACUUM ANALYZE, and sets ``KEYSTROKE_RETENTION`` to the median age of the
finished runs, so that about half of them are expired. It then

1. EXPLAINs (ANALYZE) each statement of one prune batch, in a transaction it rolls back;
2. times the History list (``/history/`` and ``?status=failed``) with nothing else running;
3. runs ``manage.py prune_runs`` in a process of its own, as beat would, and times the same list
   requests in a loop here until it exits;
4. prints how long the prune took, what it deleted, and the list's p95 without and during it.

The database is dropped at the end, also on failure or Ctrl-C, unless --keep.
docs/benchmarks.md has the results.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGES = ("/history/", "/history/?status=failed")
TABLES = ("run", "step", "usageitem", "span", "logrecord", "triggerdelivery")


def _history_bench() -> Any:
    """bench/history.py, for its throwaway database, environment and login (it is not a package)."""
    spec = importlib.util.spec_from_file_location("history_bench", ROOT / "bench" / "history.py")
    module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[spec.name] = module  # type: ignore[union-attr]  # its dataclasses look themselves up there
    spec.loader.exec_module(module)  # type: ignore[union-attr]
    return module


hbench = _history_bench()


@dataclass
class Timings:
    label: str
    times_ms: dict[str, list[float]] = field(default_factory=lambda: {page: [] for page in PAGES})

    def p95(self, page: str) -> float:
        ordered = sorted(self.times_ms[page])
        return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]  # nearest rank

    def median(self, page: str) -> float:
        return statistics.median(self.times_ms[page])

    def count(self) -> int:
        return sum(len(times) for times in self.times_ms.values())


# -- database
# ---------------------------------------------------------------------------------------


def configure_environment(dbname: str, home: Path) -> None:
    hbench.configure_environment(dbname, home)
    # Production settings refuse a missing SECRET_KEY; the test client asks for host "testserver".
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost"


def seed(runs: int) -> float:
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    call_command(
        "seed_history", runs=runs, big_run_steps=0, stdout=open(os.devnull, "w"), stderr=sys.stderr
    )
    add_deliveries()
    vacuum_analyze()
    return time.perf_counter() - started


def add_deliveries() -> None:
    """A delivery for every webhook run, made when the run was, as a real Idempotency-Key would
    leave.
    """
    from django.db import connection

    from history.models import TriggerDelivery

    # Columns other branches add (with a default in Django, none in the table) get their default
    # here.
    extra = {
        f.column: f.get_default()
        for f in TriggerDelivery._meta.concrete_fields
        if f.column == "request_digest"
    }
    names = "".join(f", {column}" for column in extra)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO history_triggerdelivery
                (organization_id, trigger, key, response, status_code, created_at{names})
            SELECT organization_id, 'signup', 'evt_' || id, jsonb_build_object(
                       'run_id', 'run_' || replace(uid::text, '-', ''),
                       'run_ids', jsonb_build_array('run_' || replace(uid::text, '-', ''))),
                   202, created_at{", %s" * len(extra)}
            FROM history_run WHERE trigger_type = 'webhook'
            """,
            list(extra.values()),
        )


def vacuum_analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


def row_counts() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        counts = {}
        for table in TABLES:
            cursor.execute(f"SELECT count(*) FROM history_{table}")
            counts[table] = cursor.fetchone()[0]
    return counts


def median_age() -> str:
    """A retention that expires half of the finished runs: the age of the median finish."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT extract(epoch FROM now() - percentile_disc(0.5) WITHIN GROUP (ORDER BY "
            "finished_at))::int FROM history_run WHERE status IN ('success', 'failed', 'canceled')"
        )
        return f"{cursor.fetchone()[0]}s"


# -- the plans of one batch -----------------------------------------------------------------------


def explain_one_batch(limit: int) -> list[tuple[str, str]]:
    """Each statement of one prune batch (the oldest expired runs, and old deliveries) with its
    EXPLAIN ANALYZE; everything is rolled back."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from workflows import retention, store

    now = timezone.now()
    rule = retention.current_retention().rules(now)[0]
    with CaptureQueriesContext(connection) as captured, rolled_back():
        roots = store.expired_roots_txn(
            rule.status, rule.before, rule.only, rule.exclude, None, limit, lock=True
        )
        runs = roots + store.run_descendants_txn([run.pk for run in roots], lock=True)
        store.delete_runs_txn(runs, now - retention.IDEMPOTENCY_WINDOW)
        store.delete_old_deliveries_txn(now - retention.delivery_window(), limit)
    plans = []
    for query in captured.captured_queries:
        statement = query["sql"]
        if statement.lstrip().upper().startswith(("SELECT", "WITH", "DELETE", "UPDATE")):
            with rolled_back(), connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement)
                plans.append((statement, "\n".join(row[0] for row in cursor.fetchall())))
    return plans


@contextlib.contextmanager
def rolled_back() -> Iterator[None]:
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def short_plan(plan: str) -> str:
    kept = []
    for line in plan.splitlines():
        text = re.sub(r"\s*\(cost=[^)]*\)", "", line)
        text = re.sub(
            r"\(actual time=[\d.]+\.\.([\d.]+) rows=(\d+) loops=(\d+)\)",
            r"(\1 ms, \2 rows x\3)",
            text,
        )
        text = re.sub(r"'\{[^}]{40,}\}'", "'{…}'", text)  # the batch's 500 ids
        if "->" in text or re.search(r"Execution Time|Index Cond|Filter|^\S", text):
            kept.append(text.rstrip()[:200])
    return "\n".join(kept)


# -- measuring
# --------------------------------------------------------------------------------------


def time_requests(client: Any, timings: Timings, until: Any) -> None:
    """List requests, alternating the pages, until ``until()`` is true."""
    i = 0
    while not until():
        page = PAGES[i % len(PAGES)]
        started = time.perf_counter()
        response = client.get(page)
        timings.times_ms[page].append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(
                f"GET {page} answered {response.status_code}:\n{response.content[:2000]!r}"
            )
        i += 1


def baseline(client: Any, requests: int, label: str) -> Timings:
    timings = Timings(label)
    for page in PAGES:  # warm-ups: the slug choices cache, the first template compile
        client.get(page)
    time_requests(client, timings, lambda: timings.count() >= requests)
    return timings


def timed_prune(client: Any, retention_value: str) -> tuple[float, str, Timings]:
    """``manage.py prune_runs`` in its own process, and the list requests made here meanwhile."""
    env = {**os.environ, "KEYSTROKE_RETENTION": retention_value}
    args = [sys.executable, "manage.py", "prune_runs", "--skip-checks"]
    timings = Timings("during the prune")
    started = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    time_requests(client, timings, lambda: process.poll() is not None)
    output = process.communicate()[0]
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"prune_runs exited {process.returncode}:\n{output}")
    return seconds, output, timings


# -- report
# -----------------------------------------------------------------------------------------


def machine() -> str:
    import django
    from django.db import connection

    version = connection.cursor().connection.info.server_version
    return (
        f"{os.cpu_count()} cores, PostgreSQL {version // 10000}.{version % 10000}, Python "
        f"{platform.python_version()}, Django {django.get_version()}"
    )


def report(args: argparse.Namespace, facts: dict[str, Any], measured: list[Timings]) -> str:
    before, after = facts["before"], facts["after"]
    deleted = before["run"] - after["run"]
    rate = deleted / facts["prune_seconds"]
    lines = [
        f"Prune benchmark: {machine()}; load {facts['load_start']:.2f} at start, "
        f"{os.getloadavg()[0]:.2f} at end",
        f"Seeded {args.runs:,} runs (+ deliveries, VACUUM ANALYZE) "
        f"in {facts['seed_seconds']:.0f} s",
        f"KEYSTROKE_RETENTION={facts['retention']} (the median age of the finished runs)",
        "Rows before: " + ", ".join(f"{t} {n:,}" for t, n in before.items()),
        "Rows after:  " + ", ".join(f"{t} {n:,}" for t, n in after.items()),
        f"Prune: {facts['prune_seconds']:.1f} s wall for {deleted:,} runs ({rate:,.0f} runs/s, "
        "process start included)",
        "",
        facts["prune_output"].strip(),
        "",
        f"{'History list':<28} {'requests':>8} {'median':>8} {'p95':>8}",
    ]
    for timings in measured:
        for page in PAGES:
            n = len(timings.times_ms[page])
            lines.append(
                f"{page + ' ' + timings.label:<28} {n:>8} {timings.median(page):>8.1f} "
                f"{timings.p95(page):>8.1f}"
            )
    lines += ["", "Plans of one batch (EXPLAIN ANALYZE, rolled back):"]
    for statement, plan in facts["plans"]:
        lines += [
            "",
            re.sub(r"'\{[^}]{40,}\}'", "'{…}'", " ".join(statement.split()))[:300],
            short_plan(plan),
        ]
    return "\n".join(lines)


# -- main
# -------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=1_000_000, help="Runs to seed (default 1,000,000)."
    )
    parser.add_argument(
        "--baseline",
        type=int,
        default=200,
        help="Timed list requests without a prune (default 200).",
    )
    parser.add_argument(
        "--batch-size", type=int, default=500, help="Runs of the batch that is EXPLAINed."
    )
    parser.add_argument("--keep", action="store_true", help="Keep the database and print its URL.")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, dbname: str, home: Path) -> str:
    configure_environment(dbname, home)
    import django

    django.setup()
    facts: dict[str, Any] = {"load_start": os.getloadavg()[0]}
    facts["seed_seconds"] = seed(args.runs)
    facts["retention"] = median_age()
    os.environ["KEYSTROKE_RETENTION"] = facts["retention"]
    from django.conf import settings

    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "RETENTION": facts["retention"]}
    facts["before"] = row_counts()
    print(f"seeded: {facts['before']}", file=sys.stderr)
    facts["plans"] = explain_one_batch(args.batch_size)
    client = hbench.logged_in_client()
    idle = baseline(client, args.baseline, "idle")
    print(f"idle p95: {[round(idle.p95(p), 1) for p in PAGES]}", file=sys.stderr)
    facts["prune_seconds"], facts["prune_output"], during = timed_prune(client, facts["retention"])
    print(f"prune took {facts['prune_seconds']:.1f} s", file=sys.stderr)
    facts["after"] = row_counts()
    vacuum_analyze()
    after = baseline(client, args.baseline, "after + VACUUM")
    return report(args, facts, [idle, during, after])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    home = Path(tempfile.mkdtemp(prefix="keystroke-pbench-"))
    try:
        with hbench.throwaway_database(args.keep) as dbname:
            text = run(args, dbname, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
