"""What the engine counts for ``GET /metrics``, written by the transactions that do the work.

Many workers on many machines feed one ``/metrics`` on the web server, so nothing is kept in
a process's memory past the transaction that counts it:

* Gauges (queued runs and the oldest one's age, live leases, due timers) are not counted at
  all: a scrape reads them from the run table through partial indexes (``history.metrics``).
* Counters (runs started and finished, sweeper requeues) and the step duration histogram live
  in the database. A transaction that starts a run, concludes a pass, cancels a run or
  requeues a stale one inserts one ``MetricIncrement`` row with everything it counted: a
  pass's finished run together with the histogram bucket and sum of each step it settled.
  Steps are timed in memory as they are recorded (``StepTimings``), so recording a step costs
  no statement more, and a pass costs one at most. Rows are only ever inserted, so workers
  never queue behind one another on a hot counter row, and a transaction that rolls back
  counts nothing.
* The sweeper folds those rows into ``MetricTotal`` (``fold_counts``: one statement that
  deletes a batch and adds it to the totals), so what a scrape reads stays small. A scrape
  reads totals and rows not folded yet in one statement, hence one snapshot: a fold at the
  same moment can neither double nor drop a count.
* Retention never deletes these rows, so the counters only go back to zero if the tables are
  emptied by hand; Prometheus' ``rate()`` takes such a reset in its stride.

Not counted: the steps of a pass whose worker died before concluding it (the next pass
replays them from the log rather than running them again), steps settled from outside a pass
(a hook resumed over HTTP, a child run's result) and a retried run's second start.
"""

from __future__ import annotations

import json
from bisect import bisect_left
from collections import defaultdict
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from prometheus_client.utils import floatToGoString

from history.metrics import STEP_BUCKETS
from history.models import MetricIncrement, MetricTotal

from .engine import StepRecord

_LE = tuple(floatToGoString(bound) for bound in STEP_BUCKETS)
# Waits, not work: a worker does not execute these steps, it waits for a timer, a person or a child
# run.
WAITS = frozenset({"sleep", "hook", "workflow"})
FOLD_BATCH = 10_000

Count = list[Any]  # [name, {label: value}, amount], as stored


class StepTimings:
    """How long each step this pass settled took, by kind, held until the pass concludes."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, float]] = []

    def observe(self, record: StepRecord) -> None:
        # A settled step has finished_at; a retry's backoff and a waiting step have none yet.
        if (
            record.finished_at is not None
            and record.started_at is not None
            and record.kind not in WAITS
        ):
            self.seen.append(
                (record.kind, max(0.0, (record.finished_at - record.started_at).total_seconds()))
            )

    def counts(self) -> list[Count]:
        buckets: dict[tuple[str, str], int] = defaultdict(int)
        sums: dict[str, float] = defaultdict(float)
        for kind, seconds in self.seen:
            buckets[kind, _LE[bisect_left(STEP_BUCKETS, seconds)]] += 1
            sums[kind] += seconds
        return [
            *(
                ["step_duration_seconds_bucket", {"kind": kind, "le": le}, n]
                for (kind, le), n in buckets.items()
            ),
            *(["step_duration_seconds_sum", {"kind": kind}, total] for kind, total in sums.items()),
        ]


def run_started(slug: str) -> list[Count]:
    return [["runs_started", {"workflow": slug}, 1]]


def run_finished(slug: str, status: str) -> list[Count]:
    return [["runs_finished", {"status": status, "workflow": slug}, 1]]


SWEEPER_REQUEUE: list[Count] = [["sweeper_requeues", {}, 1]]


def add_txn(counts: list[Count]) -> None:
    """Count inside the caller's transaction, in one INSERT (none
    when there is nothing to count).
    """
    if counts:
        MetricIncrement.objects.create(counts=counts)


# Reads the slug where the run already is, so a cancel needs no statement to fetch it first.
_CANCELED_SQL = {
    "postgresql": "INSERT INTO history_metricincrement (counts) SELECT "
    "jsonb_build_array(jsonb_build_array("
    "'runs_finished', jsonb_build_object('status', 'canceled', 'workflow', slug), 1)) FROM "
    "history_run WHERE id = %s",
    "sqlite": "INSERT INTO history_metricincrement (counts) SELECT json_array(json_array("
    "'runs_finished', json_object('status', 'canceled', 'workflow', slug), 1)) FROM history_run "
    "WHERE id = %s",
}


def count_canceled_txn(run_pk: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(_CANCELED_SQL[connection.vendor], [run_pk])


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
    """Move every counted increment into the totals, a batch per
    transaction; how many were moved.
    """
    moved = batch = _fold(FOLD_BATCH)
    while batch == FOLD_BATCH:
        batch = _fold(FOLD_BATCH)
        moved += batch
    return moved


def _fold(limit: int) -> int:
    if connection.vendor != "postgresql":
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
