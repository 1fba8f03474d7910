"""``manage.py seed_history --runs N``: realistic runs for demos and benchmarks.

On PostgreSQL the rows go in with COPY, a batch per transaction, from ``--processes`` processes
seeding chunks of the runs at once (``seeding.chunks``); into empty tables, with their secondary
indexes built after the load (``seeding.indexes``). Elsewhere (SQLite demos) with ``bulk_create``
in this process. Run it on a database the engine is not writing to at the same time: it numbers
the rows itself, after the largest existing ids, and moves the id sequences on after each batch.
"""

from __future__ import annotations

import contextlib
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models
from django.db.models import Max
from django.utils import timezone

from history.management.seeding import indexes
from history.management.seeding.chunks import ChunkResult, chunks, seed_chunks
from history.management.seeding.rows import MODELS, TABLES
from history.management.seeding.runs import SeedOptions
from history.management.seeding.writing import record_slugs, reset_sequences
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
        parser.add_argument(
            "--processes",
            type=int,
            default=2,
            help="Processes seeding chunks at once on PostgreSQL (default 2; SQLite: 1).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        organization = self._organization(options)
        processes = options["processes"] if connection.vendor == "postgresql" else 1
        started = time.perf_counter()
        seeding = SeedOptions(
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
        try:
            with self._indexes_after_load(processes):
                result = self._write_all(seeding, processes, started)
        finally:
            reset_sequences()  # past the ids of every chunk, whichever finished last
        record_slugs(organization.pk, result.first_seen)
        self._summary(organization, result, time.perf_counter() - started)

    def _organization(self, options: dict[str, Any]) -> Organization:
        for name in ("runs", "steps_per_run", "batch_size", "processes"):
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

    def _indexes_after_load(self, processes: int) -> contextlib.AbstractContextManager[None]:
        if connection.vendor == "postgresql" and indexes.tables_are_empty():
            return indexes.built_after_load(processes, self.stderr.write)
        return contextlib.nullcontext()

    def _write_all(self, seeding: SeedOptions, processes: int, started: float) -> ChunkResult:
        done = ChunkResult()
        for result in seed_chunks(chunks(seeding), processes):
            done.totals.update(result.totals)
            done.statuses.update(result.statuses)
            done.big_run = result.big_run or done.big_run
            for slug, seen in result.first_seen.items():
                done.first_seen[slug] = min(seen, done.first_seen.get(slug, seen))
            elapsed = time.perf_counter() - started
            runs = done.totals["run"]
            self.stderr.write(f"{runs:,} / {seeding.runs:,} runs, {runs / elapsed:,.0f} runs/s")
        return done

    def _summary(self, organization: Organization, result: ChunkResult, seconds: float) -> None:
        totals = result.totals
        rate = totals["run"] / seconds if seconds else 0.0
        self.stdout.write(
            f"Seeded {totals['run']:,} runs into {organization.slug} in {seconds:.1f} s "
            f"({rate:,.0f} runs/s)."
        )
        rows = ", ".join(f"{totals[t]:,} {MODELS[t]._meta.verbose_name_plural}" for t in TABLES[1:])
        self.stdout.write(f"Also {rows}.")
        self.stdout.write(
            "Statuses: " + ", ".join(f"{s} {n:,}" for s, n in result.statuses.most_common()) + "."
        )
        if result.big_run:
            self.stdout.write(f"Big run: {result.big_run}")


def _next_id(model: type[models.Model]) -> int:
    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1
