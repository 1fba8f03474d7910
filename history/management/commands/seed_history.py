"""``manage.py seed_history --runs N``: realistic runs for demos and benchmarks.

On PostgreSQL the rows go in with COPY, a batch per transaction; elsewhere (SQLite demos) with
``bulk_create``. Run it on a database the engine is not writing to at the same time: it numbers
the rows itself, after the largest existing ids, and moves the id sequences on after each batch.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.db.models import Max
from django.utils import timezone

from history.management.seeding.rows import MODELS, TABLES
from history.management.seeding.runs import Seeder, SeedOptions
from history.management.seeding.writing import (
    copy_batch,
    create_batch,
    in_background,
    record_slugs,
    reset_sequences,
)
from history.models import Organization


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
        record_slugs(organization.pk, seeder.first_seen)
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
            statuses.update(batch.values("run", "status"))
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
