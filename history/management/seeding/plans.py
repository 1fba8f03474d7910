"""What one seeded run is going to record: its draft, and the steps its target asks for."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from .catalogue import Spec, Target

ATTEMPTED = ("action", "llm")  # the kinds that record attempts, and so may fail


@cache
def plan(target: Target, loops: int, limit: int) -> tuple[tuple[Spec, str, int, float, float], ...]:
    """The steps a run asks for: spec, step id, its n, and start and
    length as fractions of the run.
    """
    specs = [*target.prefix, *(target.loop * loops), *target.suffix][:limit]
    total = sum(s.share for s in specs) or 1.0
    counts: dict[str, int] = {}
    steps, elapsed = [], 0.0
    for spec in specs:
        n = counts[spec.key] = counts.get(spec.key, -1) + 1
        steps.append((spec, f"step:{spec.key}#{n}", n, elapsed / total, 0.9 * spec.share / total))
        elapsed += spec.share
    return tuple(steps)


@dataclass(slots=True)
class Draft:
    """One run while its rows are made; times are epoch seconds."""

    pk: int
    public_id: str
    target: Target
    status: str
    created: float
    variant: int
    trace_id: str
    root_span: str
    started: float | None = None
    finished: float | None = None
    actor: str = ""
    cost: float = 0.0
    models: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    error: str | None = None
    summary: str = ""
    wake_at: float | None = None
    child_pk: int | None = None
    child_window: tuple[float, float] | None = None  # the child run's time, within its step
    steps: int = 0
