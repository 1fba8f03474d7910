"""History benchmark: the run list and a run's detail at a million runs.

Run by hand from the repository root; it is not a test:

    .venv/bin/python bench/history.py [--runs 1000000] [--requests 50] [--keep] [--markdown]

It needs PostgreSQL on 127.0.0.1:5432 (user postgres). It creates a throwaway database, fills it
with ``manage.py seed_history``, runs VACUUM ANALYZE, and times the History pages through Django's
test client: the view, its queries and the template, without an HTTP server. It prints the SQL
plans of the list queries, and drops the database at the end, also on failure or Ctrl-C, unless
--keep. docs/benchmarks.md has the results.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import re
import secrets
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgresql://postgres@127.0.0.1:5432"
WORKFLOW = "signup-pipeline"
WORD = "timed"  # "ConnectionError: CRM timed out after 30s" and three more messages
RARE_WORD = "PagerDuty"  # one message of one step of one workflow
LIST_AIM_MS, DETAIL_AIM_MS = 100, 150


@dataclass
class Page:
    label: str
    url: str
    aim_ms: float | None  # None: not one of the aims, shown for context
    times_ms: list[float] = field(default_factory=list)
    queries: list[tuple[str, float]] = field(default_factory=list)  # (sql, ms) of one request
    plan: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * len(ordered)) - 1)]  # nearest rank

    @property
    def verdict(self) -> str:
        if self.aim_ms is None:
            return "context"
        return f"{'met' if self.p95 < self.aim_ms else 'MISSED'} (< {self.aim_ms:g})"


@dataclass
class Seeding:
    runs: int = 0
    seconds: float = 0.0
    vacuum_seconds: float = 0.0
    big_run: str = ""
    rows: dict[str, int] = field(default_factory=dict)
    database_size: str = ""


# -- environment and database ----------------------------------------------------------------------


def configure_environment(dbname: str, home: Path) -> None:
    """Point Django at this benchmark's database; before Django is imported."""
    os.environ.update(
        {
            "DATABASE_URL": f"{SERVER}/{dbname}",
            "DJANGO_SETTINGS_MODULE": "keystroke_site.settings",
            "KEYSTROKE_HOME": str(home),
            "CELERY_BROKER_URL": "memory://",
            "DEBUG": "0",
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
def throwaway_database(keep: bool) -> Iterator[str]:
    name = f"keystroke_hbench_{secrets.token_hex(4)}"
    admin_execute("CREATE DATABASE {}", name)
    try:
        admin_execute("ALTER DATABASE {} SET timezone TO 'UTC'", name)
        yield name
    finally:
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if keep:
            print(f"Kept database {name} (DATABASE_URL={SERVER}/{name}).", file=sys.stderr)
        else:
            admin_execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


# -- seeding ---------------------------------------------------------------------------------------


def seed(args: argparse.Namespace) -> Seeding:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    out, result = StringIO(), Seeding()
    started = time.perf_counter()
    call_command(
        "seed_history",
        runs=args.runs,
        big_run_steps=args.big_run_steps,
        seed=args.seed,
        stdout=out,
        stderr=sys.stderr,
    )
    result.seconds = time.perf_counter() - started
    result.big_run = re.search(r"Big run: (run_[0-9a-f]{32})", out.getvalue()).group(1)  # type: ignore[union-attr]
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        result.vacuum_seconds = time.perf_counter() - started
        for table in ("run", "step", "usageitem", "span", "logrecord"):
            cursor.execute(f"SELECT count(*) FROM history_{table}")
            result.rows[table] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        result.database_size = cursor.fetchone()[0]
    result.runs = result.rows["run"]
    return result


def logged_in_client() -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from history.models import Membership, Organization
    from history.models.accounts import Role

    user = get_user_model().objects.create_user("bench", is_staff=True)
    Membership.objects.create(
        user=user, organization=Organization.objects.default(), role=Role.ADMIN
    )
    client = Client()
    client.force_login(user)
    return client


# -- measuring -------------------------------------------------------------------------------------


def pages(big_run: str, failed_run: str) -> list[Page]:
    return [
        Page("List, no filter", "/history/", LIST_AIM_MS),
        Page("List, status=failed", "/history/?status=failed", LIST_AIM_MS),
        Page(
            f"List, failed + workflow={WORKFLOW}",
            f"/history/?status=failed&workflow={WORKFLOW}",
            LIST_AIM_MS,
        ),
        Page(f"List, q={WORD} (error text)", f"/history/?q={WORD}", LIST_AIM_MS),
        Page("Detail, 5,000-step run, Steps tab", f"/history/{big_run}/?tab=steps", DETAIL_AIM_MS),
        Page(
            "Detail, 5,000-step run, Overview tab",
            f"/history/{big_run}/?tab=overview",
            DETAIL_AIM_MS,
        ),
        # Not in the aims: the saved view "Running", a rarer word, and a typical failed run.
        Page(
            "List, saved view Running (4 statuses)",
            "/history/?"
            + "&".join(f"status={s}" for s in ("queued", "running", "sleeping", "waiting")),
            None,
        ),
        Page(f"List, q={RARE_WORD} (rare error text)", f"/history/?q={RARE_WORD}", None),
        Page("Detail, a failed run, Overview tab", f"/history/{failed_run}/?tab=overview", None),
    ]


def time_page(client: Any, page: Page, requests: int, warm_up: int) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warm_up):
        assert_ok(client.get(page.url), page)
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(page.url)
        page.times_ms.append((time.perf_counter() - started) * 1000)
        assert_ok(response, page)
    with CaptureQueriesContext(connection) as captured:
        assert_ok(client.get(page.url), page)
    page.queries = [(q["sql"], float(q["time"]) * 1000) for q in captured.captured_queries]


def assert_ok(response: Any, page: Page) -> None:
    if response.status_code != 200:
        body = response.content.decode(errors="replace")[:2000]
        raise SystemExit(
            f"{page.label}: GET {page.url} answered {response.status_code}, not 200:\n{body}"
        )


def explain_list_query(page: Page) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) the query that selects the page's runs: FROM history_run ... ORDER
    BY.
    """
    from django.db import connection

    candidates = [q for q, _ in page.queries if 'FROM "history_run"' in q and "ORDER BY" in q]
    if not candidates:
        page.plan = "(no query FROM history_run with ORDER BY was made)"
        return
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + candidates[0])
        page.plan = "\n".join(row[0] for row in cursor.fetchall())
    page.plan = f"{candidates[0]}\n\n{page.plan}"


def a_failed_run() -> str:
    from history.models import Run

    return Run.objects.filter(status="failed").only("uid").order_by("-created_at").first().public_id  # type: ignore[union-attr]


# -- report ----------------------------------------------------------------------------------------


def machine() -> str:
    import django
    from django.db import connection

    version = connection.cursor().connection.info.server_version
    load = os.getloadavg()[0]
    return (
        f"{os.cpu_count()} cores, PostgreSQL {version // 10000}.{version % 10000}, Python "
        f"{platform.python_version()}, Django {django.get_version()}; load {load:.2f} at the end"
    )


def short_plan(plan: str) -> str:
    """The plan's nodes without costs and buffers, and its execution time."""
    lines = plan.split("\n\n", 1)[-1].splitlines()
    kept = []
    for i, line in enumerate(lines):
        text = re.sub(r"\s*\(cost=[^)]*\)", "", line).replace("  ->  ", "  -> ")
        if (
            i == 0
            or i == 1
            and "Buffers:" in text
            or "->" in text
            or re.search(r"Execution Time|Filter:|Cond:", text)
        ):
            kept.append(
                re.sub(
                    r"\(actual time=[\d.]+\.\.([\d.]+) rows=(\d+) loops=(\d+)\)",
                    r"(\1 ms, \2 rows)",
                    text,
                )
            )
    return "\n".join(kept)


def slowest_query(page: Page) -> str:
    if not page.queries:
        return "-"
    sql_text, ms = max(page.queries, key=lambda q: q[1])
    return f"{ms:.1f} ms: {' '.join(sql_text.split())[:160]}"


def text_report(args: argparse.Namespace, seeding: Seeding, measured: list[Page]) -> str:
    rate = seeding.runs / seeding.seconds
    lines = [
        f"History benchmark: {machine()}",
        f"Seeded {seeding.runs:,} runs in {seeding.seconds:.1f} s ({rate:,.0f} runs/s); VACUUM "
        f"ANALYZE {seeding.vacuum_seconds:.1f} s; database {seeding.database_size}",
        "Rows: " + ", ".join(f"{t} {n:,}" for t, n in seeding.rows.items()),
        f"{args.requests} requests per page after {args.warm_up} warm-ups; server time through "
        "Django's test client",
        "",
        f"{'page':<46} {'median':>8} {'p95':>8} {'queries':>7} {'sql ms':>7}  aim",
    ]
    for page in measured:
        sql_ms = sum(ms for _, ms in page.queries)
        lines.append(
            f"{page.label:<46} {page.median:>8.1f} {page.p95:>8.1f} {len(page.queries):>7} "
            f"{sql_ms:>7.1f}  {page.verdict}"
        )
    for page in measured:
        lines += ["", f"== {page.label}: {page.url}", f"slowest query {slowest_query(page)}"]
        lines += [page.plan] if page.plan else []
    return "\n".join(lines)


def markdown_report(args: argparse.Namespace, seeding: Seeding, measured: list[Page]) -> str:
    rate = seeding.runs / seeding.seconds
    lines = [
        f"#### Keystroke History benchmark — {machine()}",
        "",
        f"`seed_history --runs {args.runs:,}` (plus one run of {args.big_run_steps:,} steps): "
        f"{seeding.runs:,} runs "
        f"in {seeding.seconds:.0f} s, **{rate:,.0f} runs/s**; then VACUUM ANALYZE "
        f"{seeding.vacuum_seconds:.0f} s. Database {seeding.database_size}: "
        + ", ".join(f"{t} {n:,}" for t, n in seeding.rows.items())
        + ".",
        "",
        f"Server time of {args.requests} requests per page after {args.warm_up} warm-ups (Django "
        "test client, session login as an organization admin):",
        "",
        "| Page | Median | p95 | Queries (SQL ms) | Aim, p95 |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for page in measured:
        sql_ms = sum(ms for _, ms in page.queries)
        lines.append(
            f"| {page.label} `{page.url.split('/history/', 1)[1][:60] or '/history/'}` | "
            f"{page.median:.1f} ms | {page.p95:.1f} ms | {len(page.queries)} ({sql_ms:.1f}) | "
            f"{page.verdict.replace('context', '—')} |"
        )
    for page in measured:
        if page.plan:
            lines += ["", f"{page.label}:", "", "```text", short_plan(page.plan), "```"]
    return "\n".join(lines)


# -- main ------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=1_000_000, help="Runs to seed (default 1,000,000)."
    )
    parser.add_argument(
        "--requests", type=int, default=50, help="Timed requests per page (default 50)."
    )
    parser.add_argument(
        "--warm-up", type=int, default=3, help="Untimed requests per page first (default 3)."
    )
    parser.add_argument(
        "--big-run-steps", type=int, default=5000, help="Steps of the detail page's run."
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="Keep the database and print its URL.")
    parser.add_argument("--markdown", action="store_true", help="Also print a Markdown section.")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, dbname: str, home: Path) -> tuple[str, str]:
    configure_environment(dbname, home)
    import django

    django.setup()
    seeding = seed(args)
    client = logged_in_client()
    measured = pages(seeding.big_run, a_failed_run())
    for page in measured:
        time_page(client, page, args.requests, args.warm_up)
        if page.url.split("?")[0] == "/history/":
            explain_list_query(page)
        print(f"{page.label}: median {page.median:.1f} ms, p95 {page.p95:.1f} ms", file=sys.stderr)
    return text_report(args, seeding, measured), markdown_report(args, seeding, measured)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM ends the benchmark as Ctrl-C does: through the finally blocks that drop the database.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    home = Path(tempfile.mkdtemp(prefix="keystroke-hbench-"))
    try:
        with throwaway_database(args.keep) as dbname:
            text, markdown = run(args, dbname, home)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(text)
    if args.markdown:
        print(f"\n{markdown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
