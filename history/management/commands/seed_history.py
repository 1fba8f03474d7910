"""``manage.py seed_history --runs N``: realistic runs for demos and benchmarks.

On PostgreSQL the rows go in with COPY, a batch per transaction; elsewhere (SQLite demos) with
``bulk_create``. Run it on a database the engine is not writing to at the same time: it numbers
the rows itself, after the largest existing ids, and moves the id sequences on after each batch.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from queue import Full, Queue
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.management.color import no_style
from django.db import DatabaseError, connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from history.models import LogRecord, Organization, Run, Span, Step, UsageItem
from history.seeding import COLUMNS, JSON_COLUMNS, TABLES, Batch, Seeder, SeedOptions

MODELS: dict[str, type[models.Model]] = {
    "run": Run,
    "step": Step,
    "usage": UsageItem,
    "span": Span,
    "log": LogRecord,
}


class Command(BaseCommand):
    help = (
        "Fill the database with N realistic runs (both types, every status, steps, usage, "
        "spans, logs)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--runs", type=int, required=True, help="How many runs to add, besides the big one."
        )
        parser.add_argument(
            "--org", default="default", help="Organization slug (default: default)."
        )
        parser.add_argument(
            "--steps-per-run", type=int, default=8, help="At most this many steps per run."
        )
        parser.add_argument(
            "--big-run-steps",
            type=int,
            default=5000,
            help="Steps of one extra run, for the detail page; 0: none.",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Same seed, same database: same runs."
        )
        parser.add_argument("--batch-size", type=int, default=5000, help="Runs per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        organization = self._organization(options)
        started = time.perf_counter()
        seeder = Seeder(
            SeedOptions(
                organization_id=organization.pk,
                project_id=organization.default_project().pk,
                runs=options["runs"],
                now=timezone.now(),
                first_ids={table: _next_id(MODELS[table]) for table in TABLES},
                steps_per_run=options["steps_per_run"],
                big_run_steps=options["big_run_steps"],
                seed=options["seed"],
                batch_size=options["batch_size"],
            )
        )
        totals, statuses, big_run = self._write_all(seeder, options["runs"], started)
        self._summary(organization, totals, statuses, big_run, time.perf_counter() - started)

    def _organization(self, options: dict[str, Any]) -> Organization:
        for name in ("runs", "steps_per_run", "batch_size"):
            if options[name] <= 0:
                flag = "--" + name.replace("_", "-")
                raise CommandError(f"{flag} must be a positive number, not {options[name]}.")
        if options["big_run_steps"] < 0:
            raise CommandError(
                f"--big-run-steps must be 0 (no big run) or more, not {options['big_run_steps']}."
            )
        if options["org"] == "default":
            return Organization.objects.default()
        organization = Organization.objects.filter(slug=options["org"]).first()
        if organization is None:
            known = (
                ", ".join(Organization.objects.order_by("slug").values_list("slug", flat=True))
                or "none"
            )
            raise CommandError(
                f"No organization {options['org']!r} (known: {known}); create_user --org makes one."
            )
        return organization

    def _write_all(
        self, seeder: Seeder, runs: int, started: float
    ) -> tuple[Counter[str], Counter[str], str]:
        write = copy_batch if connection.vendor == "postgresql" else create_batch
        totals: Counter[str] = Counter()
        statuses: Counter[str] = Counter()
        big_run = ""
        for batch in in_background(seeder.batches()):
            with transaction.atomic():
                write(batch)
                reset_sequences()
            totals.update({table: len(rows) for table, rows in batch.rows.items()})
            statuses.update(row[6] for row in batch.rows["run"])
            big_run = batch.big_run or big_run
            elapsed = time.perf_counter() - started
            self.stderr.write(
                f"{totals['run']:,} / {runs:,} runs, {totals['run'] / elapsed:,.0f} runs/s"
            )
        return totals, statuses, big_run

    def _summary(
        self,
        organization: Organization,
        totals: Counter[str],
        statuses: Counter[str],
        big_run: str,
        seconds: float,
    ) -> None:
        rate = totals["run"] / seconds if seconds else 0.0
        self.stdout.write(
            f"Seeded {totals['run']:,} runs into {organization.slug} in {seconds:.1f} s "
            f"({rate:,.0f} runs/s)."
        )
        rows = ", ".join(f"{totals[t]:,} {MODELS[t]._meta.verbose_name_plural}" for t in TABLES[1:])
        self.stdout.write(f"Also {rows}.")
        self.stdout.write(
            "Statuses: " + ", ".join(f"{s} {n:,}" for s, n in statuses.most_common()) + "."
        )
        if big_run:
            self.stdout.write(f"Big run: {big_run}")


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


def in_background(batches: Iterator[Batch]) -> Iterator[Batch]:
    """The batches, each made in a thread while the one before is written: the database works
    meanwhile.
    """
    queue: Queue[Batch | BaseException | None] = Queue(maxsize=2)
    stop = threading.Event()

    def produce() -> None:
        try:
            for batch in batches:
                if not _put(queue, batch, stop):
                    return
            _put(queue, None, stop)
        except BaseException as exc:  # handed to the writer, which raises it
            _put(queue, exc, stop)

    thread = threading.Thread(target=produce, name="seed_history", daemon=True)
    thread.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


def _put(
    queue: Queue[Batch | BaseException | None],
    item: Batch | BaseException | None,
    stop: threading.Event,
) -> bool:
    """Hand an item to the writer; False if the writer has stopped."""
    while not stop.is_set():
        try:
            queue.put(item, timeout=0.2)
        except Full:
            continue
        return True
    return False


def copy_batch(batch: Batch) -> None:
    """COPY each table's rows, in one transaction; the order of the tables is free (see below)."""
    with connection.cursor() as cursor:
        # a lost batch after a crash is simply seeded again
        cursor.execute("SET LOCAL synchronous_commit = off")
        skip_foreign_key_triggers(cursor)
        for table in TABLES:
            rows = batch.rows[table]
            if not rows:
                continue
            statement = (
                f"COPY {MODELS[table]._meta.db_table} ({', '.join(COLUMNS[table])}) FROM STDIN"
            )
            with cursor.cursor.copy(statement) as copy:
                for row in rows:
                    copy.write_row(row)


def skip_foreign_key_triggers(cursor: Any) -> bool:
    """Skip the row-by-row foreign key checks, as pg_restore does, where the role may (superusers).

    Deferred checks are what lets a batch be written table by table, but at commit they cost as much
    as the COPY itself. The rows reference only runs of the same batch or of earlier ones, and
    tests/history/test_seed_history.py checks that every reference resolves.
    """
    try:
        with transaction.atomic():
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


def create_batch(batch: Batch) -> None:
    """``bulk_create`` for other databases: JSON text back to values, rows to model instances."""
    for table in TABLES:
        model, columns, decode = MODELS[table], COLUMNS[table], JSON_COLUMNS[table]
        objects = []
        for row in batch.rows[table]:
            values = dict(zip(columns, row, strict=True))
            for name in decode:
                values[name] = json.loads(values[name]) if values[name] is not None else None
            objects.append(model(**values))
        model._default_manager.bulk_create(objects)


def reset_sequences() -> None:
    """Move the id sequences past the rows just written, so the engine's next insert does not
    collide.
    """
    statements = connection.ops.sequence_reset_sql(no_style(), list(MODELS.values()))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
