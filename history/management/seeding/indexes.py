"""Secondary indexes built after the load instead of row by row during it, when the seeded
tables start empty on PostgreSQL: building an index from the finished table sorts once, where
COPY into an indexed table updates some thirty indexes (trigram ones among them) per row.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Callable, Iterator

from django.db import connection, connections

from .rows import MODELS

# Indexes that back a constraint (primary keys, unique uids) stay: dropping them drops the
# constraint, and COPY needs the primary keys' checks anyway.
_SECONDARY_SQL = """
SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
FROM pg_index i
WHERE i.indrelid = ANY(%s::regclass[])
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
ORDER BY 1
"""


def tables_are_empty() -> bool:
    return not any(model._default_manager.exists() for model in MODELS.values())


@contextlib.contextmanager
def built_after_load(processes: int, report: Callable[[str], None]) -> Iterator[None]:
    """Drop the seeded tables' secondary indexes, and create them again after the block, also
    when it fails (a half seeded database is still a usable one), ``processes`` at a time."""
    tables = [model._meta.db_table for model in MODELS.values()]
    with connection.cursor() as cursor:
        cursor.execute(_SECONDARY_SQL, [tables])
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {name}")
    definitions = [definition for _, definition in indexes]
    try:
        yield
    finally:
        report(f"Building {len(definitions)} indexes…")
        started = time.perf_counter()
        if processes == 1 or connection.in_atomic_block:
            for definition in definitions:
                build(definition)
        else:
            # PostgreSQL 15 builds a GIN index in one process: the eight on runs take turns
            # with the others across ours.
            connections.close_all()
            with multiprocessing.get_context("fork").Pool(processes) as pool:
                for _ in pool.imap_unordered(build, definitions):
                    pass
        report(f"Built {len(definitions)} indexes in {time.perf_counter() - started:.1f} s.")


def build(definition: str) -> None:
    with connection.cursor() as cursor:
        # One sort per index, in memory where it fits.
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute(definition)
        cursor.execute("RESET maintenance_work_mem")
