"""What a sleeping or waiting run waits on: a sleep, a step's retry, a hook, or a child run.

Read from the run's unfinished step rows, one query for a whole page of runs, and shown in the
run list and the detail header.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from .models import Organization, Run, Step

WAITING_RUNS = (Run.Status.SLEEPING, Run.Status.WAITING)
# An executed step sleeping is waiting for its retry; agent and prompt_llm steps wait on the
# steps inside them, which are listed instead.
RETRIED_KINDS = ("action", "model")
_SHOWN = {"sleep", "hook", "workflow", *RETRIED_KINDS}


@dataclass(frozen=True)
class Wait:
    kind: str  # "sleep", "retry", "hook" or "child"
    step_id: str
    until: datetime | None = None  # the wake-up, the retry, or the hook's timeout
    since: datetime | None = None  # when the hook opened
    attempt: int | None = None  # the attempt a retry makes
    max_attempts: int | None = None
    child_run_id: str | None = None

    @property
    def name(self) -> str:
        return hook_name(self.step_id)

    def __str__(self) -> str:
        if self.kind == "sleep":
            return f"sleeps until {_when(self.until)}"
        if self.kind == "retry":
            of = f" of {self.max_attempts}" if self.max_attempts else ""
            return f"retrying {self.step_id} (attempt {self.attempt}{of}) at {_when(self.until)}"
        if self.kind == "hook":
            times_out = f" (times out {_when(self.until)})" if self.until else ""
            return f"waiting on hook {self.name} since {_when(self.since)}{times_out}"
        return f"waiting on child run {self.child_run_id}"


def hook_name(step_id: str) -> str:
    """A hook's name, as the workflow gave it: ``step:approval#0`` is ``approval``."""
    return step_id.removeprefix("step:").rpartition("#")[0]


def open_hooks(organization: Organization, limit: int = 500) -> list[Step]:
    """The organization's hooks waiting for an answer, oldest first, with their runs."""
    return list(
        Step.objects.select_related("run")
        .filter(
            run__organization=organization,
            kind=Step.Kind.HOOK,
            status=Step.Status.WAITING,
            run__status__in=(Run.Status.WAITING, Run.Status.RUNNING, Run.Status.SLEEPING),
        )
        .order_by("started_at", "id")[:limit]
    )


def waits_of(runs: Iterable[Run]) -> dict[int, list[Wait]]:
    """Each sleeping or waiting run's waits, by run pk, in step order; no query if none waits."""
    pks = [run.pk for run in runs if run.status in WAITING_RUNS]
    if not pks:
        return {}
    rows = (
        Step.objects.filter(
            run_id__in=pks,
            status__in=(Step.Status.SLEEPING, Step.Status.WAITING),
            kind__in=_SHOWN,
        )
        .order_by("run_id", "position")
        .values("run_id", "step_id", "kind", "wake_at", "started_at", "attempts", "child_run__uid")
    )
    found: defaultdict[int, list[Wait]] = defaultdict(list)
    for row in rows:
        found[row["run_id"]].append(_wait(row))
    return dict(found)


def _wait(row: Mapping[str, Any]) -> Wait:
    kind, step_id = row["kind"], row["step_id"]
    if kind == "sleep":
        return Wait("sleep", step_id, until=row["wake_at"])
    if kind in RETRIED_KINDS:
        attempts = row["attempts"] or []
        last = attempts[-1] if attempts else {}
        return Wait(
            "retry",
            step_id,
            until=row["wake_at"],
            attempt=len(attempts) + 1,
            max_attempts=last.get("max_attempts"),
        )
    if kind == "hook":
        return Wait("hook", step_id, until=row["wake_at"], since=row["started_at"])
    child = row["child_run__uid"]
    return Wait("child", step_id, child_run_id=f"run_{child.hex}" if child else "not started")


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S %Z")
