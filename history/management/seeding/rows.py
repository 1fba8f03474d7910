"""The rows of a seeding: their tables and columns, the batches they travel in, the ids they
take, and the text their times and amounts are written as.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from typing import Any

from django.db import models

from history.models import LogRecord, Run, Span, Step, UsageItem

MODELS: dict[str, type[models.Model]] = {
    "run": Run,
    "step": Step,
    "usage": UsageItem,
    "span": Span,
    "log": LogRecord,
}

COLUMNS: dict[str, tuple[str, ...]] = {
    "run": (
        "id",
        "uid",
        "organization_id",
        "project_id",
        "kind",
        "slug",
        "status",
        "input",
        "output",
        "error",
        "actor",
        "trigger_type",
        "trigger_label",
        "trigger_id",
        "trigger_raw",
        "parent_id",
        "rerun_of_id",
        "attempt",
        "created_at",
        "queued_at",
        "started_at",
        "finished_at",
        "queue_ms",
        "duration_ms",
        "total_cost",
        "models_used",
        "services_used",
        "step_count",
        "message_count",
        "conversation",
        "lease_owner",
        "lease_expires_at",
        "enqueued_at",
        "wake_at",
        "deadline_at",
        "wakeups",
    ),
    "step": (
        "id",
        "run_id",
        "position",
        "step_id",
        "kind",
        "status",
        "input",
        "output",
        "error",
        "attempts",
        "started_at",
        "finished_at",
        "wake_at",
        "token",
        "child_run_id",
        "resumed_by",
        "cost",
    ),
    "usage": (
        "id",
        "run_id",
        "step_id",
        "kind",
        "provider",
        "model",
        "service",
        "tokens_in",
        "tokens_out",
        "quantity",
        "unit",
        "unit_price_in",
        "unit_price_out",
        "cost",
        "created_at",
    ),
    "span": (
        "id",
        "run_id",
        "trace_id",
        "span_id",
        "parent_span_id",
        "name",
        "kind",
        "status",
        "started_at",
        "ended_at",
        "attributes",
    ),
    "log": ("id", "run_id", "span_id", "created_at", "level", "logger", "message", "attributes"),
}
JSON_COLUMNS = {
    "run": {
        "input",
        "output",
        "error",
        "trigger_raw",
        "models_used",
        "services_used",
        "conversation",
    },
    "step": {"input", "output", "error", "attempts"},
    "usage": set(),
    "span": {"attributes"},
    "log": {"attributes"},
}
TABLES = tuple(COLUMNS)
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


class Rows:
    """The batch being made and the ids its rows take, shared by everything that drafts rows."""

    def __init__(self, first_ids: dict[str, int]) -> None:
        self.ids = {table: count(first_ids[table]) for table in TABLES}
        self.batch = Batch()

    def new_id(self, table: str) -> int:
        return next(self.ids[table])

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.batch.rows[table].append(row)

    def take(self) -> Batch:
        """The batch made so far; the rows added next go into a new one."""
        batch, self.batch = self.batch, Batch()
        return batch
