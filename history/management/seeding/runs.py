"""The seeder: which runs the month holds, when each was made and how far it got, and the row of
each run.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from itertools import accumulate
from typing import Any

from history.fingerprints import fingerprint_of
from history.models import Run

from .catalogue import (
    DURATION_PRICE,
    SCHEDULES,
    TARGET,
    TARGETS,
    VARIANTS,
    WORKERS,
    Target,
)
from .plans import ATTEMPTED, Draft, Planned, plan
from .rows import Batch, Rows, money, random_hex, stamp
from .steps import StepDrafter
from .telemetry import run_telemetry
from .texts import conversation, json_list, run_io
from .triggers import Trigger, trigger_of

DAYS = 30
DAY = 86400.0
TERMINAL = ("success", "failed", "canceled")


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
    # The share of the runs this seeder makes, by index into all ``runs`` (a chunk, see
    # ``chunks``), and where its ids must stop: None, all of them and no limit.
    start: int = 0
    stop: int | None = None
    id_limits: dict[str, int] | None = None

    @property
    def end(self) -> int:
        return self.runs if self.stop is None else self.stop


class Seeder:
    def __init__(self, options: SeedOptions) -> None:
        self.o = options
        # The first run id is part of the seed, so seeding a database twice makes new uids.
        self.rng = random.Random(f"{options.seed}:{options.first_ids['run']}")
        self.rows = Rows(options.first_ids, options.id_limits)
        self.now = options.now.timestamp()
        self.steps = StepDrafter(self.rows, self.rng, self.now)
        self.cum_weights = list(accumulate(t.weight for t in TARGETS))
        self.window = max(20, options.runs // 400)  # active runs are only among the newest
        self.last_of: dict[str, Draft] = {}
        self.last_failed: dict[str, Draft] = {}
        # Each slug's earliest run, for history.models.RunSlug: slug -> (created, kind).
        self.first_seen: dict[str, tuple[float, str]] = {}

    def batches(self) -> Iterator[Batch]:
        made = self.o.start
        while made < self.o.end:
            made += self._add_run(made)
            if len(self.rows.batch) >= self.o.batch_size:
                yield self.rows.take()
        if self.o.big_run_steps and self.o.end == self.o.runs:
            self._add_big_run()
        if len(self.rows.batch):
            yield self.rows.take()

    def _add_run(self, index: int) -> int:
        target = TARGETS[bisect(self.cum_weights, self.rng.random() * self.cum_weights[-1])]
        draft = self._draft(target, self._status(target, index), self._created_at(index))
        trigger = self._trigger(draft)
        steps = plan(target, self.rng.randint(*target.loops), self.o.steps_per_run)
        self._emit(draft, steps, trigger, can_spawn=index + 1 < self.o.end)
        if draft.child_pk is None:
            return 1
        self._add_child(draft)
        return 2

    def _created_at(self, index: int) -> float:
        # Traffic grew over the month: the density rises linearly to three times the first day's.
        f = (index + self.rng.random()) / self.o.runs
        x = ((1 + 8 * f) ** 0.5 - 1) / 2
        return self.now - DAYS * DAY * (1 - x)

    def _status(self, target: Target, index: int) -> str:
        rank = self.o.runs - 1 - index
        if rank < self.window and self.rng.random() < 0.6 * (1 - rank / self.window):
            if rank < self.window * 0.15 and self.rng.random() < 0.5:
                return "queued"
            return self.rng.choice(target.active)
        r = self.rng.random() - target.failure_rate
        return "failed" if r < 0 else ("canceled" if r < 0.03 else "success")

    def _draft(self, target: Target, status: str, created: float, pk: int | None = None) -> Draft:
        # A version 4 UUID: random bits with the version and variant fields set.
        uid = (
            self.rng.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48)
            | (0x4000 << 64)
            | (0x8000 << 48)
        )
        variant, trace_id, root_span = (
            self.rng.randrange(VARIANTS),
            random_hex(self.rng, 128),
            random_hex(self.rng, 64),
        )
        draft = Draft(
            pk or self.rows.new_id("run"),
            f"run_{uid:032x}",
            target,
            status,
            created,
            variant,
            trace_id,
            root_span,
        )
        if status != "queued":
            draft.started = created + self.rng.expovariate(25)  # queue time, 40 ms on average
        if status in TERMINAL:
            lo, hi = target.seconds
            seconds = lo * (hi / lo) ** self.rng.random()
            draft.finished = draft.started + seconds * (
                1 if status == "success" else self.rng.uniform(0.1, 0.9)
            )
        self.last_of[target.slug] = draft
        if created < self.first_seen.get(target.slug, (created + 1,))[0]:
            self.first_seen[target.slug] = (created, target.kind)
        return draft

    def _trigger(self, draft: Draft) -> Trigger:
        kinds, weights = draft.target.triggers
        kind = self.rng.choices(kinds, cum_weights=weights)[0]
        source = (
            self.last_failed.get(draft.target.slug)
            if kind == "retry"
            else self.last_of.get("support-triage")
        )
        if kind in ("retry", "workflow_tool") and source is None:
            kind = "api"
        return trigger_of(self.rng, kind, draft, source)

    def _add_child(self, parent: Draft) -> None:
        """The greeting a signup pipeline started as its step ``step:greeting#0``, within that
        step's time.
        """
        assert parent.child_window is not None  # set with child_pk
        created, ended = parent.child_window
        draft = self._draft(TARGET["greeting"], "success", created, pk=parent.child_pk)
        draft.variant = parent.variant
        draft.finished = max(draft.started, ended)  # type: ignore[type-var]
        trigger = trigger_of(self.rng, "workflow", draft, parent)
        self._emit(draft, plan(draft.target, 0, self.o.steps_per_run), trigger, can_spawn=False)

    def _add_big_run(self) -> None:
        """One nightly export of ``big_run_steps`` steps, three hours ago, for the run detail
        benchmark.
        """
        draft = self._draft(TARGET["nightly-export"], "success", self.now - 3 * 3600)
        draft.finished = draft.created + 47 * 60
        steps = plan(draft.target, max(self.o.big_run_steps - 2, 0), self.o.big_run_steps)
        self._emit(draft, steps, trigger_of(self.rng, "schedule", draft, None), can_spawn=False)
        self.rows.batch.big_run = draft.public_id

    # -- rows of one run -------------------------------------------------------------------------

    def _emit(
        self, draft: Draft, steps: tuple[Planned, ...], trigger: Trigger, can_spawn: bool
    ) -> None:
        draft.actor = trigger.actor
        recorded = self._cut(draft, steps)
        draft.steps = len(recorded)
        if recorded:
            self.steps.record(draft, recorded, can_spawn)
        times = [
            stamp(t) if t is not None else None
            for t in (draft.created, draft.started, draft.finished)
        ]
        created = times[0]
        assert created is not None  # every drafted run has a creation time
        self._run_row(draft, trigger, created, *times[1:])
        run_telemetry(self.rows, draft, *times[1:])
        if draft.status == "failed":
            self.last_failed[draft.target.slug] = draft

    def _cut(self, draft: Draft, steps: tuple[Planned, ...]) -> tuple[Planned, ...]:
        """The steps recorded so far: all of a success, up to the failing or current one
        otherwise.
        """
        status = draft.status
        if status == "success" or status == "queued" or not steps:
            return steps if status == "success" else ()
        if status == "failed":
            failable = [i for i, step in enumerate(steps) if step.spec.kind in ATTEMPTED]
            return steps[: self.rng.choice(failable or [0]) + 1]
        if status == "waiting":
            # every step up to the hook, and those the workflow started before awaiting it
            return steps
        if status == "sleeping":
            # at the sleep, or in the backoff of a first attempt that failed
            stop = next((i for i, step in enumerate(steps) if step.spec.kind == "sleep"), None)
            if stop is None:
                stop = next((i for i, step in enumerate(steps) if step.spec.kind in ATTEMPTED), 0)
            return steps[: stop + 1]
        # running or canceled: the step in flight is not recorded
        return steps[: self.rng.randrange(len(steps))]

    def _run_row(self, draft: Draft, trigger: Trigger, created: str, *times: str | None) -> None:
        started, finished = times
        target, status = draft.target, draft.status
        data_in, data_out = run_io(target.slug, draft.variant)
        queue_ms = round((draft.started - draft.created) * 1000) if draft.started else None
        duration_ms = round((draft.finished - draft.started) * 1000) if draft.finished else None  # type: ignore[operator]
        messages, message_count = "[]", 0
        if target.kind == "agent" and draft.started is not None:
            turns = len(draft.models)  # one per model call that answered
            messages, message_count = conversation(
                target.slug, draft.variant, turns, status == "success"
            )
        lease_owner, lease_expires_at = (
            (WORKERS[draft.pk % 3], stamp(self.now + 30)) if status == "running" else ("", None)
        )
        deadline = stamp(draft.created + 3600) if target.slug in SCHEDULES else None
        self.rows.add(
            "run",
            id=draft.pk,
            uid=draft.public_id[4:],
            organization_id=self.o.organization_id,
            project_id=self.o.project_id,
            kind=target.kind,
            slug=target.slug,
            status=status,
            input=data_in,
            output=data_out if status == "success" else None,
            error=draft.failure.run_error if draft.failure else None,
            error_fingerprint=_fingerprint(draft.failure.error)
            if draft.failure and status == "failed"
            else "",
            actor=trigger.actor,
            # Seeded actors are names, not accounts of this database.
            actor_user_id=None,
            actor_api_key_id=None,
            trigger_type=trigger.type,
            trigger_label=trigger.label,
            trigger_id=trigger.attachment,
            trigger_raw=trigger.raw,
            parent_id=trigger.parent_pk,
            rerun_of_id=trigger.rerun_of_pk,
            attempt=1,
            created_at=created,
            queued_at=created,
            started_at=started,
            finished_at=finished,
            queue_ms=queue_ms,
            duration_ms=duration_ms,
            total_cost=money(draft.cost + (duration_ms or 0) * DURATION_PRICE),
            models_used=json_list(draft.models),
            services_used=json_list(draft.services),
            step_count=draft.steps,
            message_count=message_count,
            conversation=messages,
            lease_owner=lease_owner,
            lease_expires_at=lease_expires_at,
            enqueued_at=created,
            wake_at=stamp(draft.wake_at) if draft.wake_at else None,
            deadline_at=deadline,
            wakeups=0,
            step_numbering=Run.StepNumbering.PER_BRANCH,
            version=_release(draft.created),
            has_workspace=False,
        )


# Seeded runs were started on weekly releases, named after their Monday (1970-01-05, 00:00 UTC,
# is the first Monday of the epoch).
_WEEK, _FIRST_MONDAY = 7 * 86400, 4 * 86400


def _release(created: float) -> str:
    return _release_of_week(int((created - _FIRST_MONDAY) // _WEEK))


@cache
def _release_of_week(week: int) -> str:
    monday = datetime.fromtimestamp(_FIRST_MONDAY + week * _WEEK, UTC)
    return f"release-{monday.date().isoformat()}"


def _fingerprint(error: dict[str, Any]) -> str:
    return _cached_fingerprint(error["type"], error["message"], error.get("step_id"))


@cache
def _cached_fingerprint(error_type: str, message: str, step_id: str | None) -> str:
    # Seeded failures repeat a few hundred messages: each is fingerprinted once, as the store
    # fingerprints the run's error column.
    return fingerprint_of({"type": error_type, "message": message, "step_id": step_id})
