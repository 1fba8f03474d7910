"""The Prometheus view of the engine: gauges read from the run table, counters from the metric
tables.

A scrape makes two queries whatever the number of runs: one for the gauges, each answered by
a partial index of the runs in that state (never a scan of the run table), and one for the
counters and histogram buckets that ``workflows.metrics`` records (see its docstring for why
they are kept in the database).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

# Upper bounds of the step duration buckets, in seconds: from a clock step to an hour-long agent.
# Every kind shows every bucket, so the series do not change shape as observations come in.
STEP_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1,
    2.5,
    5,
    10,
    30,
    60,
    300,
    900,
    3600,
    float("inf"),
)

# Each subquery matches the condition of a partial index: history_run_queued, history_run_active
# and history_run_wake. Recorded Celery tasks are no engine work: they wait for Celery's workers,
# and one whose end was never seen would stay "queued" in the gauges for ever.
GAUGES_SQL = """
SELECT
    (SELECT count(*) FROM history_run WHERE status = 'queued' AND kind <> 'task'),
    (SELECT min(queued_at) FROM history_run WHERE status = 'queued' AND kind <> 'task'),
    (SELECT count(*) FROM history_run WHERE status = 'running' AND lease_expires_at > %s),
    (SELECT count(*) FROM history_run WHERE status IN ('sleeping', 'waiting') AND wake_at <= %s)
"""

# Totals and the increments not folded into them yet, in one statement so one snapshot.
_COUNTS_SQL = {
    "postgresql": """
        SELECT name, labels::text, value FROM history_metrictotal
        UNION ALL
        SELECT c->>0, (c->1)::text, (c->>2)::float8
        FROM history_metricincrement, jsonb_array_elements(counts) AS c
    """,
    "sqlite": """
        SELECT name, labels, value FROM history_metrictotal
        UNION ALL
        SELECT json_extract(c.value, '$[0]'), json_extract(c.value, '$[1]'),
               json_extract(c.value, '$[2]')
        FROM history_metricincrement, json_each(history_metricincrement.counts) AS c
    """,
}

COUNTERS = {
    "runs_started": (
        "keystroke_runs_started",
        "Runs created, by workflow or agent slug.",
        ("workflow",),
    ),
    "runs_finished": (
        "keystroke_runs_finished",
        "Runs that ended, by workflow or agent slug and status (success, failed, canceled).",
        ("workflow", "status"),
    ),
    "sweeper_requeues": (
        "keystroke_sweeper_requeues",
        "Runs the sweeper enqueued again: their worker's lease lapsed, or their message seemed "
        "lost.",
        (),
    ),
}
STEP_DURATION = (
    "keystroke_step_duration_seconds",
    "Time from start to finish of the steps workers executed, by step kind; a retried step's "
    "includes its backoff (sleeps, hooks and child runs are waits and are not counted).",
)

Series = tuple[str, tuple[tuple[str, str], ...]]


class EngineCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        yield from gauges(timezone.now())
        yield from counters(read_counts())


registry = CollectorRegistry(auto_describe=False)
registry.register(EngineCollector())


def gauges(now: datetime) -> Iterator[Metric]:
    with connection.cursor() as cursor:
        cursor.execute(GAUGES_SQL, [now, now])
        queued, oldest, leases, due = cursor.fetchone()
    age = max(0.0, (now - _aware(oldest)).total_seconds()) if oldest else 0.0
    yield GaugeMetricFamily("keystroke_runs_queued", "Runs waiting for a worker.", value=queued)
    yield GaugeMetricFamily(
        "keystroke_runs_queued_oldest_age_seconds",
        "How long the oldest queued run has waited.",
        value=age,
    )
    yield GaugeMetricFamily(
        "keystroke_active_leases", "Running runs whose worker's lease is live.", value=leases
    )
    yield GaugeMetricFamily(
        "keystroke_due_timers",
        "Sleeping or waiting runs whose wake time has passed and that are not woken yet.",
        value=due,
    )


def _aware(value: datetime | str) -> datetime:
    # PostgreSQL answers a datetime; SQLite a string in UTC.
    moment = value if isinstance(value, datetime) else parse_datetime(value)
    assert moment is not None
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=UTC)


def read_counts() -> dict[Series, float]:
    """Every counted series summed: ``{(name, sorted labels): value}``."""
    totals: dict[Series, float] = defaultdict(float)
    with connection.cursor() as cursor:
        cursor.execute(_COUNTS_SQL[connection.vendor])
        for name, labels, value in cursor.fetchall():
            totals[name, tuple(sorted(json.loads(labels).items()))] += value
    return totals


def counters(counts: dict[Series, float]) -> Iterator[Metric]:
    for key, (name, documentation, labels) in COUNTERS.items():
        family = CounterMetricFamily(name, documentation, labels=labels)
        found = {series[1]: value for series, value in counts.items() if series[0] == key}
        if not labels:
            found.setdefault((), 0.0)  # a counter without labels is shown from the start
        for pairs, value in sorted(found.items()):
            family.add_metric([dict(pairs).get(label, "") for label in labels], value)
        yield family
    yield step_durations(counts)


def step_durations(counts: dict[Series, float]) -> Metric:
    buckets: dict[str, dict[float, float]] = defaultdict(dict)
    sums: dict[str, float] = defaultdict(float)
    for (name, pairs), value in counts.items():
        labels = dict(pairs)
        if name == "step_duration_seconds_bucket":
            buckets[labels["kind"]][float(labels["le"])] = value
        elif name == "step_duration_seconds_sum":
            sums[labels["kind"]] = value
    family = HistogramMetricFamily(*STEP_DURATION, labels=["kind"])
    for kind in sorted(buckets):
        family.add_metric([kind], _cumulative(buckets[kind]), sums[kind])
    return family


def _cumulative(counts: dict[float, float]) -> list[tuple[str, float]]:
    """Per-bucket counts as Prometheus wants them: each bucket holds every observation up to its
    bound.
    """
    running, cumulative = 0.0, []
    # a bound dropped since still holds its observations
    for bound in sorted({*STEP_BUCKETS, *counts}):
        running += counts.get(bound, 0.0)
        cumulative.append((floatToGoString(bound), running))
    return cumulative


def exposition(accept: str) -> tuple[bytes, str]:
    """The scrape's body and content type, in the format the scraper asked for."""
    encode, content_type = choose_encoder(accept)
    return encode(registry), content_type
