"""The rows of a seeding: their tables and columns, the batches they travel in, the ids they take,
and the text their times and amounts are written as.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from operator import itemgetter
from typing import Any, cast

from django.db import models

from history.models import LogRecord, Run, Span, Step, UsageItem

MODELS: dict[str, type[models.Model]] = {
    "run": Run,
    "step": Step,
    "usage": UsageItem,
    "span": Span,
    "log": LogRecord,
}

# Every concrete column of each model, in table order: a column added to a model needs a value
# from the seeder, or Rows.add refuses the row, so the demo data cannot drift from the schema.
COLUMNS = {
    table: tuple(cast(str, field.column) for field in model._meta.concrete_fields)  # never None
    for table, model in MODELS.items()
}
JSON_COLUMNS = {
    table: frozenset(
        field.column for field in model._meta.concrete_fields if isinstance(field, models.JSONField)
    )
    for table, model in MODELS.items()
}
TABLES = tuple(MODELS)
_NAMES = {table: frozenset(columns) for table, columns in COLUMNS.items()}
_IN_ORDER = {table: itemgetter(*columns) for table, columns in COLUMNS.items()}
_MINUTES: dict[float, str] = {}


def stamp(moment: float) -> str:
    """Epoch seconds as ISO 8601 text, for COPY and JSON alike: twice as fast as
    datetime.isoformat().
    """
    minute = moment // 60
    second = moment - minute * 60
    prefix = _MINUTES.get(minute)
    if prefix is None:
        prefix = _MINUTES[minute] = datetime.fromtimestamp(minute * 60, UTC).strftime(
            "%Y-%m-%dT%H:%M:"
        )
    return f"{prefix}{second if second < 59.9999995 else 59.999999:09.6f}+00:00"


def money(value: float) -> str:
    return f"{value:.6f}"


def random_hex(rng: random.Random, bits: int) -> str:
    return f"{rng.getrandbits(bits):0{bits // 4}x}"


@dataclass
class Batch:
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: {t: [] for t in TABLES})
    big_run: str = ""

    def __len__(self) -> int:
        return len(self.rows["run"])

    def values(self, table: str, column: str) -> Iterator[Any]:
        """One column of a table's rows."""
        index = COLUMNS[table].index(column)
        return (row[index] for row in self.rows[table])


class Rows:
    """The batch being made and the ids its rows take, shared by everything that drafts rows."""

    def __init__(self, first_ids: dict[str, int], limits: dict[str, int] | None = None) -> None:
        self.ids = {table: count(first_ids[table]) for table in TABLES}
        self.limits = limits or {}
        self.batch = Batch()

    def new_id(self, table: str) -> int:
        return next(self.ids[table])

    def add(self, table: str, **values: Any) -> None:
        """Add a row given as ``column=value``; every column of the table, and no other."""
        try:
            row = _IN_ORDER[table](values)
        except KeyError:
            row = ()
        if len(row) != len(values):  # cheaper than comparing the names, a million times over
            missing = sorted(_NAMES[table] - values.keys())
            unknown = sorted(values.keys() - _NAMES[table])
            raise ValueError(
                f"A seeded {table} row does not match {MODELS[table].__name__}'s columns: "
                f"missing {missing}, unknown {unknown}."
            )
        self.batch.rows[table].append(row)

    def take(self) -> Batch:
        """The batch made so far; the rows added next go into a new one.

        Checked here, once a batch rather than once an id, and before anything is written: no
        row took an id past its chunk's block (``id`` is every table's first column).
        """
        batch, self.batch = self.batch, Batch()
        for table, limit in self.limits.items():
            if batch.rows[table] and max(row[0] for row in batch.rows[table]) >= limit:
                raise RuntimeError(
                    f"A seeded chunk made more {table} rows than the ids set aside for it "
                    f"(below {limit}): seeding/chunks.py must set aside more per run."
                )
        return batch
