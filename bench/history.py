"""History benchmark: the run list, search, counts and a run's detail and trace at a million runs.

Run by hand from the repository root; it is not a test:

    .venv/bin/python bench/history.py [--runs 1000000] [--requests 50] [--keep] [--markdown]
    .venv/bin/python bench/history.py --database NAME   # an already seeded database, kept
    .venv/bin/python bench/history.py --database NAME --mixed --only '^Mixed'

It needs PostgreSQL on 127.0.0.1:5432 (user postgres). It creates a throwaway database, fills it
with ``manage.py seed_history``, runs VACUUM ANALYZE, and times the History pages through Django's
test client: the view, its queries and the template, without an HTTP server. Each page is timed on
its own, then the list pages are timed again in turn with the trace and detail pages, which is
where garbage collections after big renders show. With --mixed, list pages and the detail tabs
(Overview, Steps, Trace, Metadata) of different runs, picked by random ids, are timed in one
stream, each kind's p95 against its aim. Nothing it does to pick runs or count rows reads a whole
table, so it runs against ten million runs as against one. It prints the SQL plans of the list
queries, and drops the database at the end, also on failure or Ctrl-C, unless --keep.
docs/benchmarks.md has the results.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import psycopg
from history_report import Collections, Page, Seeding, markdown_report, text_report
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
SERVER = "postgresql://postgres@127.0.0.1:5432"
WORKFLOW = "signup-pipeline"
WORD = "timed"  # "ConnectionError: CRM timed out after 30s" and three more messages
RARE_WORD = "PagerDuty"  # one message of one step of one workflow
LIST_AIM_MS, SEARCH_AIM_MS, COUNTS_AIM_MS, TRACE_AIM_MS, DETAIL_AIM_MS = 50, 100, 50, 100, 150
MIXED_TAB_AIM_MS = 100  # a tab of an ordinary run, amid list traffic
MIXED_TABS = ("overview", "steps", "trace", "metadata")
BIG_RUN_SLUG, BIG_RUN_MIN_STEPS = "nightly-export", 1000  # as seed_history makes the big run
TRACE_MAX_BYTES = 200_000


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
        result.rows = row_estimates(cursor)
        cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        result.database_size = cursor.fetchone()[0]
    result.runs = result.rows["run"]
    return result


def row_estimates(cursor: Any) -> dict[str, int]:
    """Rows per table as ANALYZE counted them: count(*) reads every row, minutes at 10 M runs."""
    rows = {}
    for table in ("run", "step", "usageitem", "span", "logrecord"):
        cursor.execute(f"SELECT reltuples::bigint FROM pg_class WHERE relname = 'history_{table}'")
        rows[table] = cursor.fetchone()[0]
    return rows


def existing(dbname: str, big_run: str | None) -> Seeding:
    """A database seeded before (``--keep``): migrated to this code (VACUUM after, as a
    migration that fills a column leaves pages an index-only scan must visit), its rows counted.
    """
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    result = Seeding(big_run=big_run or the_big_run())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
        result.rows = row_estimates(cursor)
    result.runs = result.rows["run"]
    return result


def logged_in_client() -> Any:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from history.models import Membership, Organization
    from history.models.accounts import Role

    user, _ = get_user_model().objects.get_or_create(username="bench", is_staff=True)
    Membership.objects.get_or_create(
        user=user, organization=Organization.objects.default(), defaults={"role": Role.ADMIN}
    )
    client = Client()
    client.force_login(user)
    return client


# -- measuring -------------------------------------------------------------------------------------


def pages(big_run: str, failed_run: str, email: str) -> list[Page]:
    def where(*clauses: str) -> str:
        return "/history/?" + urlencode([("where", c) for c in clauses])

    return [
        Page("List, no filter", "/history/", LIST_AIM_MS),
        Page("List, status=failed", "/history/?status=failed", LIST_AIM_MS),
        Page(
            f"List, failed + workflow={WORKFLOW}",
            f"/history/?status=failed&workflow={WORKFLOW}",
            LIST_AIM_MS,
        ),
        # q reads the payloads' text as well as the error's now: a search, with a search's aim.
        Page(f"Search, q={WORD} (error text and payloads)", f"/history/?q={WORD}", SEARCH_AIM_MS),
        Page(
            "Search, where input.email=<one person>", where(f"input.email={email}"), SEARCH_AIM_MS
        ),
        Page("Search, where output.score>=80", where("output.score>=80"), SEARCH_AIM_MS),
        Page("Search, q=<an e-mail address> (in input)", f"/history/?q={email}", SEARCH_AIM_MS),
        Page("Counts, no filter", "/history/counts/", COUNTS_AIM_MS),
        Page(
            f"Counts, failed + workflow={WORKFLOW}",
            f"/history/counts/?status=failed&workflow={WORKFLOW}",
            COUNTS_AIM_MS,
        ),
        Page(
            "Trace tab, 5,000-step run",
            f"/history/{big_run}/?tab=trace",
            TRACE_AIM_MS,
            TRACE_MAX_BYTES,
        ),
        Page("Detail, 5,000-step run, Steps tab", f"/history/{big_run}/?tab=steps", DETAIL_AIM_MS),
        Page(
            "Detail, 5,000-step run, Overview tab",
            f"/history/{big_run}/?tab=overview",
            DETAIL_AIM_MS,
        ),
        # Not in the aims: the API's answers to the same searches, the Failures view, the saved
        # view "Running", a rarer word, a failed run.
        Page(
            "API, where input.email=<one person>",
            "/api/runs?" + urlencode([("where", f"input.email={email}")]),
            None,
        ),
        Page("API, counts, no filter", "/api/runs/counts", None),
        Page("Failures view, no filter", "/history/failures/", None),
        Page("Failures view, range=7d", "/history/failures/?range=7d", None),
        Page(
            "List, saved view Running (4 statuses)",
            "/history/?"
            + "&".join(f"status={s}" for s in ("queued", "running", "sleeping", "waiting")),
            None,
        ),
        Page(f"Search, q={RARE_WORD} (rare error text)", f"/history/?q={RARE_WORD}", None),
        Page("Detail, a failed run, Overview tab", f"/history/{failed_run}/?tab=overview", None),
    ]


def time_request(client: Any, page: Page) -> None:
    started = time.perf_counter()
    response = client.get(page.url)
    page.times_ms.append((time.perf_counter() - started) * 1000)
    assert_ok(response, page)


def time_page(client: Any, page: Page, requests: int, warm_up: int) -> None:
    for _ in range(warm_up):
        assert_ok(client.get(page.url), page)
    for _ in range(requests):
        time_request(client, page)
    capture(client, page)


def capture(client: Any, page: Page) -> None:
    """One more request, untimed: its size and its queries, for the report."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(page.url)
        assert_ok(response, page)
    page.size = len(response.content)
    page.queries = [(q["sql"], float(q["time"]) * 1000) for q in captured.captured_queries]


def time_interleaved(client: Any, measured: list[Page], requests: int) -> list[Page]:
    """The aimed list pages again, each request followed by the trace and the Steps tab, as a
    server answering several people sees them.
    """
    lists = [p for p in measured if p.label.startswith("List") and p.aim_ms == LIST_AIM_MS]
    heavy = [p for p in measured if "tab=trace" in p.url or "tab=steps" in p.url]
    again = [Page(f"{p.label}, in turn with trace and Steps", p.url, p.aim_ms) for p in lists]
    for _ in range(requests):
        for page in again:
            time_request(client, page)
            for big in heavy:
                assert_ok(client.get(big.url), big)
    for page, alone in zip(again, lists, strict=True):
        page.size, page.queries = alone.size, alone.queries
    return again


def time_mixed(client: Any, every_page: list[Page], requests: int, seed: int) -> list[Page]:
    """The aimed list pages in turn with the four tabs of a different run each time, as mixed
    traffic: one Page per kind, so each kind's p95 meets its aim or not (--only or not)."""
    lists = [p for p in every_page if p.label.startswith("List") and p.aim_ms == LIST_AIM_MS]
    runs = random_runs(requests * len(lists), seed)
    list_page = Page("Mixed: list pages, in turn with tabs of other runs", "/history/", LIST_AIM_MS)
    list_page.plan = "(the list pages' plans are above)"
    tabs = {
        tab: Page(f"Mixed: {tab.capitalize()} tab, a different run each time", "", MIXED_TAB_AIM_MS)
        for tab in MIXED_TABS
    }
    for i, run in enumerate(runs):
        page = lists[i % len(lists)]
        list_page.url = page.url
        time_request(client, list_page)
        for tab, tab_page in tabs.items():
            tab_page.url = f"/history/{run}/?tab={tab}"
            time_request(client, tab_page)
    mixed = [list_page, *tabs.values()]
    for page in mixed:
        capture(client, page)  # of the last run picked
    return mixed


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


def seeded_runs() -> Any:
    """The seeded organization's runs: filtering by it lets each pick below use an index."""
    from history.models import Organization, Run

    return Run.objects.for_organization(Organization.objects.default().pk)


def a_failed_run() -> str:
    newest = seeded_runs().filter(status="failed").only("uid").order_by("-created_at", "-id")
    return newest.first().public_id  # type: ignore[union-attr]


def an_email() -> str:
    """The address of a person some signup runs are about (the seeder reuses its people)."""
    run = seeded_runs().filter(slug=WORKFLOW).only("input").order_by("-created_at", "-id").first()
    return run.input["email"]  # type: ignore[union-attr,index]


def the_big_run() -> str:
    """The newest nightly export of a thousand steps or more: seed_history's big run, found by
    the slug index from the newest run back (it is three hours old), not by counting steps."""
    big = seeded_runs().filter(slug=BIG_RUN_SLUG, step_count__gte=BIG_RUN_MIN_STEPS)
    found = big.only("uid").order_by("-created_at", "-id").first()
    if found is None:
        raise SystemExit(f"No {BIG_RUN_SLUG} run of {BIG_RUN_MIN_STEPS}+ steps: pass --big-run.")
    return found.public_id


def random_runs(n: int, seed: int) -> list[str]:
    """``n`` runs spread over the table, each the first at or after a random id: one primary
    key lookup each, where ORDER BY random() would sort every run."""
    import random

    from django.db.models import Max, Min

    runs = seeded_runs()
    bounds = runs.aggregate(low=Min("pk"), high=Max("pk"))
    rng = random.Random(seed)
    picked = []
    for _ in range(n):
        pk = rng.randint(bounds["low"], bounds["high"])
        run = runs.filter(pk__gte=pk).only("uid").order_by("pk").first()
        picked.append(run.public_id)  # type: ignore[union-attr]
    return picked


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
    parser.add_argument(
        "--database",
        help="Measure this already seeded database instead (migrated first, never dropped).",
    )
    parser.add_argument(
        "--only", help="Time only the pages whose label matches this regular expression."
    )
    parser.add_argument(
        "--big-run", help="The public id of the many-step run, as seed_history printed it."
    )
    parser.add_argument(
        "--mixed",
        action="store_true",
        help="Also time list pages in turn with the detail tabs of different runs.",
    )
    parser.add_argument("--markdown", action="store_true", help="Also print a Markdown section.")
    return parser.parse_args(argv)


def run(args: argparse.Namespace, dbname: str, home: Path) -> tuple[str, str]:
    configure_environment(dbname, home)
    import django

    django.setup()
    import keystroke_site.wsgi  # noqa: F401  the web server's start-up, garbage collector included

    if args.database:
        seeding = existing(dbname, args.big_run)
    else:
        seeding = seed(args)
    client = logged_in_client()
    every_page = pages(seeding.big_run, a_failed_run(), an_email())
    measured = every_page
    if args.only:
        measured = [p for p in every_page if re.search(args.only, p.label, re.IGNORECASE)]
    collections: dict[str, Collections] = {}
    with Collections() as collections["each page on its own"]:
        for page in measured:
            time_page(client, page, args.requests, args.warm_up)
            print(
                f"{page.label}: median {page.median:.1f} ms, p95 {page.p95:.1f} ms", file=sys.stderr
            )
    with Collections() as collections["lists in turn with trace and Steps"]:
        interleaved = time_interleaved(client, measured, args.requests)
    if args.mixed:
        with Collections() as collections["lists in turn with tabs of other runs"]:
            interleaved += time_mixed(client, every_page, args.requests, args.seed)
    measured += interleaved
    for page in measured:
        if page.url.split("?")[0] == "/history/" and not page.plan:
            explain_list_query(page)
    return (
        text_report(args, seeding, measured, collections),
        markdown_report(args, seeding, measured, collections),
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM ends the benchmark as Ctrl-C does: through the finally blocks that drop the database.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    home = Path(tempfile.mkdtemp(prefix="keystroke-hbench-"))
    try:
        if args.database:
            text, markdown = run(args, args.database, home)
        else:
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
