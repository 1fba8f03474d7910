"""Seeding in chunks, each a share of the runs with its own random stream and its own block of
ids, so that several processes can seed at once (each with a database connection of its own)
and the same seed still gives the same runs, whatever the number of processes.

A chunk sets aside ``child_ids_per_run`` ids in each other table per run, more than a run ever
takes (``Rows.take`` refuses a batch that runs past them); the ids left over are gaps, as rolled
back inserts leave.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from django.db import connection, connections, transaction

from .rows import TABLES
from .runs import Seeder, SeedOptions
from .writing import copy_batch, create_batch, in_background, reset_sequences

CHUNK_RUNS = 100_000
CHUNKS_AT_LEAST = 8  # so that a smaller seeding still keeps two processes busy


def child_ids_per_run(options: SeedOptions) -> int:
    # A run has at most steps_per_run steps, a usage line and a span each, its root span and a
    # few log records (at 8 steps per run the most seen are 8, 8, 9 and 5 rows).
    return options.steps_per_run + 8


@dataclass
class ChunkResult:
    totals: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    big_run: str = ""
    first_seen: dict[str, tuple[float, str]] = field(default_factory=dict)


def chunks(options: SeedOptions) -> list[SeedOptions]:
    """The seeding split into chunks in index order, each with its ids set aside after the
    chunk before."""
    size = max(options.batch_size, min(CHUNK_RUNS, options.runs // CHUNKS_AT_LEAST))
    first = dict(options.first_ids)
    made = []
    for start in range(0, options.runs, size):
        stop = min(start + size, options.runs)
        last = stop == options.runs
        big = options.big_run_steps if last else 0
        spare = {"run": stop - start + (1 if big else 0)}
        for table in TABLES[1:]:
            spare[table] = (stop - start) * child_ids_per_run(options) + (
                2 * big + 16 if big else 0
            )
        limits = {table: first[table] + spare[table] for table in TABLES}
        made.append(replace(options, start=start, stop=stop, first_ids=first, id_limits=limits))
        first = limits
    return made


def seed_chunk(options: SeedOptions) -> ChunkResult:
    """Make and write one chunk, a transaction per batch; what it wrote."""
    write = copy_batch if connection.vendor == "postgresql" else create_batch
    seeder, result = Seeder(options), ChunkResult()
    for batch in in_background(seeder.batches()):
        with transaction.atomic():
            write(batch)
            reset_sequences()
        result.totals.update({table: len(rows) for table, rows in batch.rows.items()})
        result.statuses.update(batch.values("run", "status"))
        result.big_run = batch.big_run or result.big_run
    result.first_seen = seeder.first_seen
    return result


def seed_chunks(parts: list[SeedOptions], processes: int) -> Iterator[ChunkResult]:
    """Each chunk's result as it is written: in this process, or in ``processes`` forked ones,
    each chunk in the first process free. One chunk (a small seeding), or a caller's open
    transaction, which the others could neither see nor join, keeps it in this process."""
    if min(processes, len(parts)) == 1 or connection.in_atomic_block:
        yield from map(seed_chunk, parts)
        return
    connections.close_all()  # a forked process must open its own connection, not share this one
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        yield from pool.imap_unordered(seed_chunk, parts)
