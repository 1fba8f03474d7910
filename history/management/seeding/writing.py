"""Writing seeded batches: COPY on PostgreSQL, ``bulk_create`` elsewhere, each batch made in a
thread while the one before is written.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from queue import Full, Queue
from typing import Any

from django.core.management.color import no_style
from django.db import DatabaseError, connection, transaction

from history.models import RunSlug

from .rows import COLUMNS, JSON_COLUMNS, MODELS, TABLES, Batch, stamp


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
        model, decode = MODELS[table], JSON_COLUMNS[table]
        fields = model._meta.concrete_fields  # the order of COLUMNS[table]
        objects = [
            model(
                **{
                    field.attname: json.loads(value)
                    if field.column in decode and value is not None
                    else value
                    for field, value in zip(fields, row, strict=True)
                }
            )
            for row in batch.rows[table]
        ]
        model._default_manager.bulk_create(objects)


def reset_sequences() -> None:
    """Move the id sequences past the rows just written, so the engine's next insert does not
    collide.
    """
    statements = connection.ops.sequence_reset_sql(no_style(), list(MODELS.values()))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def record_slugs(organization_id: int, first_seen: dict[str, tuple[float, str]]) -> None:
    """The seeded slugs as the store records them (history.models.RunSlug), each with its
    earliest run; a slug already recorded keeps its row."""
    RunSlug.objects.bulk_create(
        [
            RunSlug(
                organization_id=organization_id,
                slug=slug,
                kind=kind,
                first_seen=stamp(created),  # the text of its run's created_at
            )
            for slug, (created, kind) in sorted(first_seen.items())
        ],
        ignore_conflicts=True,
    )
