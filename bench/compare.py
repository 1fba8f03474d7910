"""Side-by-side benchmark: Keystroke through its REST API against DBOS Transact 3.4, in one run.

Run by hand from the repository root; it is not a test:

    .venv/bin/python bench/compare.py [--sequential 300] [--burst 1000] [--repeat 3] [--markdown]

Both engines run on one private PostgreSQL 15 cluster (initdb into a temporary directory, its own
port, fsync and the rest at their defaults), which nothing else uses, so its WAL is theirs alone.
Keystroke runs as in production: gunicorn (`keystroke serve`) and a real Celery worker on Redis,
driven through the API. DBOS runs in a virtualenv of its own (bench/.venv-dbos, built from the
hashed bench/dbos/requirements.txt). The repetitions are interleaved (Keystroke, DBOS, Keystroke,
…) and the table shows their medians. Everything is removed at the end, also on failure, Ctrl-C
or SIGTERM. bench/README.md explains the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from compare_dbos import DbosSide
from compare_keystroke import KeystrokeSite
from compare_report import (
    Figures,
    Medians,
    dbos_figures,
    floor_figures,
    keystroke_figures,
    markdown,
    text,
    wal_detail,
)
from engine_report import cpu_times, steal_share
from private_pg import PrivateCluster, private_cluster

# A step's output as the floor writes it: a 500-byte JSON document.
DOCUMENT = json.dumps({"n": 1, "text": "x" * 480})
assert len(DOCUMENT) == 500


def floor(cluster: PrivateCluster, n: int) -> list[float]:
    """A 500-byte JSONB single-row INSERT committed on its own: the least a recorded step costs."""
    with psycopg.connect(
        cluster.url("floor"), autocommit=True, cursor_factory=psycopg.ClientCursor
    ) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS step (id bigserial PRIMARY KEY, run_id bigint NOT NULL, "
            "position integer NOT NULL, output jsonb, finished_at timestamptz NOT NULL)"
        )
        insert = (
            "INSERT INTO step (run_id, position, output, finished_at) VALUES (1, %s, %s, now())"
        )
        seconds = []
        for i in range(n):
            start = time.perf_counter()
            conn.execute(insert, [i, DOCUMENT])
            seconds.append(time.perf_counter() - start)
    return seconds


def run(args: argparse.Namespace, home: Path) -> str:
    def say(what: str) -> None:
        print(f"{time.strftime('%H:%M:%S')} {what}", file=sys.stderr)

    load, cpu = os.getloadavg()[0], cpu_times()
    with private_cluster() as cluster:
        say(f"private PostgreSQL 15 on port {cluster.port}; migrating Keystroke")
        cluster.create_database("floor")
        site = KeystrokeSite(cluster, home)
        try:
            dbos = DbosSide(cluster, home, args.dbos_concurrency, args.dbos_polling)
            repetitions: list[Figures] = []
            for i in range(1, args.repeat + 1):
                say(f"repetition {i}/{args.repeat}: floor")
                figures = floor_figures(floor(cluster, args.floor))
                say(f"repetition {i}/{args.repeat}: Keystroke")
                keystroke = site.repetition(args.sequential, args.burst)
                say(f"repetition {i}/{args.repeat}: DBOS Transact")
                dbos_phases = dbos.repetition(args.sequential, args.burst)
                figures |= keystroke_figures(keystroke) | dbos_figures(dbos_phases)
                repetitions.append(figures)
        finally:
            site.close()
        detail = ""
        if args.wal_detail:
            # the last repetition's 10-step runs, one at a time
            detail = wal_detail(
                {
                    "Keystroke": cluster.wal_by_relation(keystroke["ten"].wal),
                    "DBOS Transact": cluster.wal_by_relation(dbos_phases["ten"].wal),
                },
                args.sequential,
                args.wal_detail,
            )
        with cluster.admin() as admin:
            version = (admin.info.parameter_status("server_version") or "?").split()[0]
    title = (
        f"Keystroke vs DBOS Transact 3.4 — {os.cpu_count()} cores, private PostgreSQL {version} "
        f"(fsync on), {args.repeat} interleaved repetition{'s' * (args.repeat > 1)}, "
        f"{args.sequential} sequential runs each, medians; load {load:.2f} at start, "
        f"{os.getloadavg()[0]:.2f} at end; "
        f"{steal_share(cpu, cpu_times())}"
    )
    setup = {"burst": args.burst, "concurrency": args.dbos_concurrency}
    medians = Medians(repetitions)
    report = text(title, medians, setup) + detail
    if args.markdown:
        report += f"\n\n{markdown(title, medians, setup)}"
    return report


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Keystroke through its REST API against DBOS Transact 3.4, side by side."
    )
    parser.add_argument(
        "--sequential", type=int, default=300, help="10-step and 0-step runs, one at a time"
    )
    parser.add_argument(
        "--burst", type=int, default=1000, help="10-step runs submitted at once (0 skips it)"
    )
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repetitions")
    parser.add_argument(
        "--floor", type=int, default=2000, help="500-byte JSONB INSERT + COMMIT repetitions"
    )
    parser.add_argument(
        "--dbos-concurrency",
        type=int,
        default=1,
        help="workflows each DBOS queue worker runs at once (1, as a prefork worker process)",
    )
    parser.add_argument(
        "--dbos-polling",
        type=float,
        default=0.01,
        help="seconds between a DBOS queue worker's polls (DBOS's default, 1 s, idles the workers)",
    )
    parser.add_argument(
        "--wal-detail",
        type=int,
        default=0,
        metavar="N",
        help="also list the N relations that took the most WAL per 10-step run (pg_waldump)",
    )
    parser.add_argument(
        "--step-commits",
        choices=("each", "deferred", "batched"),
        default="each",
        help="the benchmark workflows' step_commits",
    )
    parser.add_argument(
        "--markdown", action="store_true", help="also print the table for docs/benchmarks.md"
    )
    args = parser.parse_args(argv)
    os.environ["BENCH_STEP_COMMITS"] = (
        args.step_commits
    )  # read by bench/project, here and in workers
    if min(args.sequential, args.repeat, args.floor, args.dbos_concurrency) < 1 or args.burst < 0:
        parser.error("--sequential, --repeat, --floor and --dbos-concurrency must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM ends the benchmark as Ctrl-C does: through the finally blocks that stop everything.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    home = Path(tempfile.mkdtemp(prefix="keystroke-compare-"))
    try:
        report = run(args, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
