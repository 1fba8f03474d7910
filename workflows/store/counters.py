"""The engine's counters in the database: one increment row per transaction that counts, and the
sweeper's fold of those rows into totals (``workflows.metrics`` says why they live here).
"""

from __future__ import annotations

import json
from collections import defaultdict

from django.db import connection, transaction
from django.db.models import F

from history.models import MetricIncrement, MetricTotal

from ..metrics import Count
from . import dialect

FOLD_BATCH = 10_000


def add_txn(counts: list[Count]) -> None:
    """Count inside the caller's transaction, in one INSERT (none when there is nothing to
    count).
    """
    if counts:
        MetricIncrement.objects.create(counts=counts)


# Reads the slug where the run already is, so a cancel needs no statement to fetch it first.
_CANCELED_SQL = {
    "postgresql": "INSERT INTO history_metricincrement (counts) SELECT "
    "jsonb_build_array(jsonb_build_array("
    "'runs_finished', jsonb_build_object('status', 'canceled', 'workflow', slug), 1)) FROM "
    "history_run WHERE id = %s",
    "portable": "INSERT INTO history_metricincrement (counts) SELECT json_array(json_array("
    "'runs_finished', json_object('status', 'canceled', 'workflow', slug), 1)) FROM history_run "
    "WHERE id = %s",
}


def count_canceled_txn(run_pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(dialect.pick(**_CANCELED_SQL), [run_pk])


# SKIP LOCKED: two sweepers fold different rows instead of waiting on each other. The totals are
# upserted in one order, so two folds at once cannot deadlock. ARRAY(…) is computed once, so the
# DELETE finds its rows by primary key.
_FOLD_SQL = """
WITH folded AS (
    DELETE FROM history_metricincrement
    WHERE id = ANY(ARRAY(
        SELECT id FROM history_metricincrement ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED
    ))
    RETURNING counts
), summed AS (
    SELECT c->>0 AS name, c->1 AS labels, sum((c->>2)::float8) AS value
    FROM folded, jsonb_array_elements(folded.counts) AS c GROUP BY 1, 2
), added AS (
    INSERT INTO history_metrictotal (name, labels, value)
    SELECT name, labels, value FROM summed ORDER BY name, labels
    ON CONFLICT (name, labels) DO UPDATE SET value = history_metrictotal.value + EXCLUDED.value
)
SELECT count(*) FROM folded
"""


def fold_counts() -> int:
    """Move every counted increment into the totals, a batch per transaction; how many were
    moved.
    """
    moved = batch = _fold(FOLD_BATCH)
    while batch == FOLD_BATCH:
        batch = _fold(FOLD_BATCH)
        moved += batch
    return moved


def _fold(limit: int) -> int:
    if not dialect.on_postgresql():
        return _fold_portable(limit)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_FOLD_SQL, [limit])
        return int(cursor.fetchone()[0])


def _fold_portable(limit: int) -> int:
    with transaction.atomic():
        rows = list(MetricIncrement.objects.order_by("id")[:limit])
        totals: dict[tuple[str, str], float] = defaultdict(float)
        for row in rows:
            for name, labels, amount in row.counts:
                totals[name, json.dumps(labels, sort_keys=True)] += amount
        for (name, labels), amount in sorted(totals.items()):
            series = MetricTotal.objects.filter(name=name, labels=json.loads(labels))
            if not series.update(value=F("value") + amount):
                MetricTotal.objects.create(name=name, labels=json.loads(labels), value=amount)
        MetricIncrement.objects.filter(id__in=[row.id for row in rows]).delete()
    return len(rows)
