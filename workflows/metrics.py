"""What the engine counts for ``GET /metrics``, written by the transactions that do the work
(``workflows.store.counters`` writes them; this module says what a count is).

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
* The sweeper folds those rows into ``MetricTotal`` (``store.fold_counts``: one statement that
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

from bisect import bisect_left
from collections import defaultdict
from typing import Any

from prometheus_client.utils import floatToGoString

from history.metrics import STEP_BUCKETS

from .engine import StepRecord

_LE = tuple(floatToGoString(bound) for bound in STEP_BUCKETS)
# Waits, not work: a worker does not execute these steps, it waits for a timer, a person or a child
# run.
WAITS = frozenset({"sleep", "hook", "workflow"})
# Recorded without running anything: no duration worth a histogram.
UNTIMED = WAITS | {"patch"}

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
            and record.kind not in UNTIMED
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
