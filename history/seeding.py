"""Realistic runs for demos and benchmarks, generated without the engine (``manage.py seed_history``, §6).

``Seeder`` yields batches of rows, as tuples in the column order of ``COLUMNS``, so one generator
feeds both PostgreSQL COPY and ``bulk_create`` on SQLite. JSON columns hold JSON *text*: payloads
come from small pools rendered once, which keeps a million runs within minutes. Primary keys are
assigned here, starting after the largest existing ones. The same seed on the same database state
gives the same rows, apart from times, which are relative to ``now``.
"""

from __future__ import annotations

import json
import random
import uuid
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from itertools import accumulate
from typing import Any

from .seeding_catalog import (
    ACTIVE_STATUSES,
    SERVICE_PRICES,
    TARGETS,
    Target,
    error_for,
    model_price,
    run_payload,
    step_payload,
    trigger_for,
)

COLUMNS: dict[str, tuple[str, ...]] = {
    "run": (
        "id", "uid", "organization_id", "project_id", "kind", "slug", "status", "input", "output", "error",
        "actor", "trigger_type", "trigger_label", "trigger_id", "trigger_raw", "parent_id", "rerun_of_id",
        "attempt", "created_at", "queued_at", "started_at", "finished_at", "queue_ms", "duration_ms",
        "total_cost", "models_used", "services_used", "step_count", "message_count", "conversation",
        "lease_owner", "lease_expires_at", "enqueued_at", "wake_at", "deadline_at", "wakeups",
    ),
    "step": (
        "id", "run_id", "position", "step_id", "kind", "status", "input", "output", "error", "attempts",
        "started_at", "finished_at", "wake_at", "token", "child_run_id", "resumed_by", "cost",
    ),
    "usage": (
        "id", "run_id", "step_id", "kind", "provider", "model", "service", "tokens_in", "tokens_out",
        "quantity", "unit", "unit_price_in", "unit_price_out", "cost", "created_at",
    ),
    "span": (
        "id", "run_id", "trace_id", "span_id", "parent_span_id", "name", "kind", "status", "started_at",
        "ended_at", "attributes",
    ),
    "log": ("id", "run_id", "span_id", "created_at", "level", "logger", "message", "attributes"),
}  # fmt: skip
JSON_COLUMNS = {
    "run": {"input", "output", "error", "trigger_raw", "models_used", "services_used", "conversation"},
    "step": {"input", "output", "error", "attempts"},
    "usage": set(),
    "span": {"attributes"},
    "log": {"attributes"},
}
TABLES = tuple(COLUMNS)
DAYS = 30
DURATION_PRICE = 0.000000012  # dollars per ms of worker time
WORKERS = ("celery@worker-1", "celery@worker-2", "celery@worker-3")


@dataclass(frozen=True)
class SeedOptions:
    organization_id: int
    project_id: int
    runs: int
    now: datetime
    first_ids: dict[str, int]
    steps_per_run: int = 8
    big_run_steps: int = 5000
    seed: int = 1
    batch_size: int = 5000


@dataclass
class Batch:
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: {t: [] for t in TABLES})
    big_run: str = ""

    def __len__(self) -> int:
        return len(self.rows["run"])


@dataclass(slots=True)
class Draft:
    """One run while its rows are made."""

    pk: int
    public_id: str
    target: Target
    status: str
    created: datetime
    started: datetime | None = None
    finished: datetime | None = None
    variant: int = 0
    trace_id: str = ""
    root_span: str = ""
    cost: float = 0.0
    models: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    error: str | None = None
    child_pk: int | None = None


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, separators=(", ", ": "), ensure_ascii=False)


@cache
def _plan(target: Target, loops: int, limit: int) -> tuple[tuple[Any, str, float], ...]:
    """The steps a run of ``target`` asks for: (spec, step id, start as a fraction of the run)."""
    specs = [*target.prefix, *(target.loop * loops), *target.suffix][:limit]
    counts: dict[str, int] = {}
    total = sum(s.share for s in specs) or 1.0
    plan, elapsed = [], 0.0
    for spec in specs:
        n = counts.get(spec.key, 0)
        counts[spec.key] = n + 1
        plan.append((spec, f"step:{spec.key}#{n}", elapsed / total))
        elapsed += spec.share
    return tuple(plan)


class Seeder:
    def __init__(self, options: SeedOptions) -> None:
        self.o = options
        # The first run id is part of the seed: a second seeding of one database makes new uids.
        self.rng = random.Random(f"{options.seed}:{options.first_ids['run']}")
        self.next_id = dict(options.first_ids)
        self.cum_weights = list(accumulate(t.weight for t in TARGETS))
        self.window = max(20, options.runs // 400)  # active runs are only among the newest
        self.last_of: dict[str, Draft] = {}
        self.last_failed: dict[str, Draft] = {}

    def batches(self) -> Iterator[Batch]:
        batch, made = Batch(), 0
        while made < self.o.runs:
            made += self._add_run(batch, made)
            if len(batch) >= self.o.batch_size:
                yield batch
                batch = Batch()
        if self.o.big_run_steps:
            self._add_big_run(batch)
        if len(batch):
            yield batch

    def _take_id(self, table: str) -> int:
        pk = self.next_id[table]
        self.next_id[table] = pk + 1
        return pk

    def _hex(self, bits: int) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    # -- one run ---------------------------------------------------------------------------------

    def _add_run(self, batch: Batch, index: int) -> int:
        target = TARGETS[bisect(self.cum_weights, self.rng.random() * self.cum_weights[-1])]
        draft = self._draft(target, self._status(target, index), self._created_at(index))
        loops = self.rng.randint(*target.loops)
        self._emit(batch, draft, _plan(target, loops, self.o.steps_per_run), self._trigger(draft))
        if draft.child_pk is None or index + 1 >= self.o.runs:
            return 1
        self._add_child(batch, draft)
        return 2

    def _created_at(self, index: int) -> datetime:
        # Traffic grew over the month: density rises linearly to three times the first day's.
        f = (index + self.rng.random()) / self.o.runs
        x = (-1 + (1 + 8 * f) ** 0.5) / 2
        return self.o.now - timedelta(days=DAYS * (1 - x))

    def _status(self, target: Target, index: int) -> str:
        rank = self.o.runs - 1 - index
        if rank < self.window and self.rng.random() < 0.6 * (1 - rank / self.window):
            if rank < self.window * 0.15 and self.rng.random() < 0.5:
                return "queued"
            return self.rng.choice(target.active)
        r = self.rng.random() - target.failure_rate
        return "failed" if r < 0 else ("canceled" if r < 0.035 else "success")

    def _draft(self, target: Target, status: str, created: datetime) -> Draft:
        uid = uuid.UUID(int=self.rng.getrandbits(128), version=4)
        draft = Draft(self._take_id("run"), f"run_{uid.hex}", target, status, created)
        draft.variant = self.rng.randrange(64)
        draft.trace_id, draft.root_span = self._hex(128), self._hex(64)
        if status != "queued":
            draft.started = created + timedelta(milliseconds=self.rng.expovariate(1 / 40))
        if status in ("success", "failed", "canceled"):
            lo, hi = target.seconds
            seconds = lo * (hi / lo) ** self.rng.random()
            if status != "success":
                seconds *= self.rng.uniform(0.1, 0.9)
            draft.finished = draft.started + timedelta(seconds=seconds)  # type: ignore[operator]
        self.last_of[target.slug] = draft
        return draft

    def _trigger(self, draft: Draft) -> tuple[Any, ...]:
        kinds, weights = draft.target.triggers
        kind = self.rng.choices(kinds, cum_weights=weights)[0]
        source = self.last_failed.get(draft.target.slug) if kind == "retry" else None
        if kind == "workflow_tool":
            source = self.last_of.get("support-triage")
        if kind in ("retry", "workflow_tool") and source is None:
            kind = "api"
        return trigger_for(kind, draft, source, self.rng)

    def _add_child(self, batch: Batch, parent: Draft) -> None:
        target = next(t for t in TARGETS if t.slug == "greeting")
        created = parent.started + timedelta(seconds=0.3)  # type: ignore[operator]
        draft = self._draft(target, "success", created)
        draft.pk, self.next_id["run"] = parent.child_pk, self.next_id["run"] - 1  # type: ignore[assignment]
        draft.variant = parent.variant
        draft.finished = min(draft.finished, parent.finished or draft.finished)  # type: ignore[type-var]
        trigger = trigger_for("workflow", draft, parent, self.rng)
        self._emit(batch, draft, _plan(target, 0, self.o.steps_per_run), trigger)

    def _add_big_run(self, batch: Batch) -> None:
        target = next(t for t in TARGETS if t.slug == "nightly-export")
        created = self.o.now - timedelta(hours=3)
        draft = self._draft(target, "success", created)
        draft.finished = created + timedelta(minutes=47)
        steps = self.o.big_run_steps
        self._emit(batch, draft, _plan(target, steps - 2, steps), trigger_for("schedule", draft, None, self.rng))
        batch.big_run = draft.public_id

    # -- rows ------------------------------------------------------------------------------------

    def _emit(self, batch: Batch, draft: Draft, plan: tuple[Any, ...], trigger: tuple[Any, ...]) -> None:
        recorded = self._cut(draft, plan)
        end = draft.finished or self.o.now
        span = (end - draft.started).total_seconds() if draft.started else 0.0
        last_llm = draft.root_span
        for position, (spec, step_id, start) in enumerate(recorded):
            status = self._step_status(draft, spec, position, len(recorded))
            t0 = draft.started + timedelta(seconds=span * start)  # type: ignore[operator]
            t1 = t0 + timedelta(seconds=span * spec.share / len(plan) * 0.9)
            step_pk = self._step(batch, draft, position, spec, step_id, status, t0, t1)
            parent_span = last_llm if draft.target.kind == "agent" and spec.kind != "llm" else draft.root_span
            span_id = self._span(batch, draft, parent_span, step_id, spec, status, t0, t1)
            last_llm = span_id if spec.kind == "llm" else last_llm
            self._step_usage(batch, draft, spec, step_pk, t1)
        self._run_row(batch, draft, trigger, len(recorded))
        self._run_telemetry(batch, draft)
        if draft.status == "failed":
            self.last_failed[draft.target.slug] = draft

    def _cut(self, draft: Draft, plan: tuple[Any, ...]) -> tuple[Any, ...]:
        """The steps recorded so far: all for a success, up to the failing or current one otherwise."""
        status = draft.status
        if status == "success" or not plan:
            return plan if status == "success" else ()
        if status == "queued":
            return ()
        if status in ("sleeping", "waiting"):
            blocking = "sleep" if status == "sleeping" else "hook"
            stop = next((i for i, (s, _, _) in enumerate(plan) if s.kind == blocking), None)
            return plan if status == "waiting" and stop is not None else plan[: (stop or 0) + 1]
        if status == "failed":
            failable = [i for i, (s, _, _) in enumerate(plan) if s.kind in ("action", "llm", "hook")]
            return plan[: self.rng.choice(failable or [0]) + 1]
        return plan[: self.rng.randrange(len(plan))]  # running or canceled: the step in flight is not recorded

    def _step_status(self, draft: Draft, spec: Any, position: int, count: int) -> str:
        last = position == count - 1
        if draft.status == "failed" and last:
            return "failed"
        if draft.status == "waiting" and spec.kind == "hook":
            return "waiting"
        if draft.status == "sleeping" and last:
            return "sleeping"
        return "retried" if spec.kind == "action" and self.rng.random() < 0.03 else "success"
