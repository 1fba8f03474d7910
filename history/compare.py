"""Two runs side by side: the one that worked and the one that did not.

Inputs and results (output and error) are diffed by path; steps are aligned by step id, in the
first run's order and then the second run's own, and the first aligned step whose status or
result differs, or that only one run has, is the first divergence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import TextField, Value
from django.db.models.functions import MD5, Cast, Concat

from .diffs import Change, SideBySide, changes, side_by_side
from .models import Run

# Steps read per run: a 5,000-step run is compared on its first steps, and says so.
STEP_LIMIT = 500


@dataclass(frozen=True)
class StepSide:
    position: int
    status: str
    duration_ms: int | None
    cost: Decimal
    result: str  # a digest of output and error: equal digests, equal results

    def as_dict(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "status": self.status,
            "duration_ms": self.duration_ms,
            "cost": str(self.cost),
        }


@dataclass(frozen=True)
class AlignedStep:
    step_id: str
    a: StepSide | None
    b: StepSide | None

    @property
    def sides(self) -> tuple[StepSide | None, StepSide | None]:
        return self.a, self.b

    @property
    def output_differs(self) -> bool:
        return self.a is not None and self.b is not None and self.a.result != self.b.result

    @property
    def diverges(self) -> bool:
        if self.a is None or self.b is None:
            return True
        return self.a.status != self.b.status or self.output_differs

    def as_dict(self) -> dict[str, Any]:
        return {
            "step_id": self.step_id,
            "a": self.a.as_dict() if self.a else None,
            "b": self.b.as_dict() if self.b else None,
            "output_differs": self.output_differs,
            "diverges": self.diverges,
        }


@dataclass(frozen=True)
class Comparison:
    a: Run
    b: Run
    input_changes: list[Change]
    result_changes: list[Change]
    changes_cut: bool
    steps: list[AlignedStep]
    steps_cut: bool

    @property
    def same_workflow(self) -> bool:
        return (self.a.kind, self.a.slug) == (self.b.kind, self.b.slug)

    @property
    def first_divergence(self) -> AlignedStep | None:
        return next((step for step in self.steps if step.diverges), None)

    @property
    def notes(self) -> list[str]:
        notes = []
        if not self.same_workflow:
            notes.append(
                f"These runs are of different workflows ({self.a.slug} and {self.b.slug}): "
                "steps line up only where their step ids happen to match."
            )
        if self.steps_cut:
            notes.append(f"Only the first {STEP_LIMIT} steps of each run are compared.")
        if self.changes_cut:
            notes.append("Only the first changes of a payload are listed.")
        return notes

    def as_dict(self) -> dict[str, Any]:
        first = self.first_divergence
        return {
            "a": identity(self.a),
            "b": identity(self.b),
            "same_workflow": self.same_workflow,
            "input": [change.as_dict() for change in self.input_changes],
            "result": [change.as_dict() for change in self.result_changes],
            "steps": [step.as_dict() for step in self.steps],
            "first_divergence": first.step_id if first else None,
            "notes": self.notes,
        }


def identity(run: Run) -> dict[str, Any]:
    return {
        "id": run.public_id,
        "kind": run.kind,
        "slug": run.slug,
        "status": run.status,
        "created_at": run.created_at,
        "duration_ms": run.duration_ms,
        "total_cost": str(run.total_cost),
        "step_count": run.step_count,
        "url": run.get_absolute_url(),
    }


def result_of(run: Run) -> dict[str, Any]:
    """What a run ended with, as one value: its output and its error are diffed together."""
    return {"output": run.output, "error": run.error}


def compare_runs(a: Run, b: Run) -> Comparison:
    """Two runs of one organization compared; two statements, one per run's steps."""
    input_changes, input_cut = changes(a.input, b.input, "input")
    result_changes, result_cut = changes(result_of(a), result_of(b), "result")
    steps_a, cut_a = _steps(a)
    steps_b, cut_b = _steps(b)
    aligned = [
        AlignedStep(step_id, side, steps_b.get(step_id)) for step_id, side in steps_a.items()
    ]
    aligned += [AlignedStep(i, None, side) for i, side in steps_b.items() if i not in steps_a]
    return Comparison(
        a, b, input_changes, result_changes, input_cut or result_cut, aligned, cut_a or cut_b
    )


def _steps(run: Run) -> tuple[dict[str, StepSide], bool]:
    # Payloads stay in the database: only a digest of each step's output and error is read.
    result = MD5(
        Concat(
            Cast("output", TextField()),
            Value("|"),
            Cast("error", TextField()),
            output_field=TextField(),
        )
    )
    rows = list(
        run.steps.order_by("position")
        .annotate(result=result)
        .values_list(
            "step_id", "position", "status", "started_at", "finished_at", "cost", "result"
        )[: STEP_LIMIT + 1]
    )
    sides: dict[str, StepSide] = {}
    for step_id, position, status, started, finished, cost, digest in rows[:STEP_LIMIT]:
        sides.setdefault(
            step_id, StepSide(position, status, _duration(started, finished), cost, digest or "")
        )
    return sides, len(rows) > STEP_LIMIT


def _duration(started: datetime | None, finished: datetime | None) -> int | None:
    if started is None or finished is None:
        return None
    return int((finished - started).total_seconds() * 1000)


@dataclass(frozen=True)
class PayloadDiff:
    """One payload of both runs, as the page shows it: changes by path, then the texts."""

    title: str
    changes: list[Change]
    json: SideBySide
    yaml: SideBySide | None  # None when a side is too large to render twice


def payload_diffs(comparison: Comparison) -> list[PayloadDiff]:
    a, b = comparison.a, comparison.b
    pairs = [
        ("Input", comparison.input_changes, a.input, b.input),
        ("Output or error", comparison.result_changes, result_of(a), result_of(b)),
    ]
    diffs = []
    for title, found, left, right in pairs:
        json_view = side_by_side(left, right, "json")
        yaml_view = None if json_view.cut else side_by_side(left, right, "yaml")
        diffs.append(PayloadDiff(title, found, json_view, yaml_view))
    return diffs
