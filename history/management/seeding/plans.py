"""What one seeded run is going to record: its draft, and the steps its target asks for."""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

from .catalogue import Spec, Target
from .failures import Failure

ATTEMPTED = ("action", "model")  # the kinds that record attempts, and so may fail
COMPOSITE = ("agent", "llm")  # the kinds whose steps run inside them


@dataclass(frozen=True, slots=True)
class Planned:
    """A step of a run's plan; ``offset`` and ``length`` are fractions of the run's time."""

    spec: Spec
    step_id: str
    n: int
    offset: float
    length: float
    parent: int | None = None  # the position of the agent or prompt_llm step it runs inside
    end: int = 0  # the position of its last step inside, for an agent or prompt_llm step


@cache
def agent_spec(target: Target) -> Spec:
    """The agent step an agent run records first: its model and tool calls run inside it."""
    return Spec(target.slug, "agent", 0.0, model=target.model, payload=target.slug)


@cache
def plan(target: Target, loops: int, limit: int) -> tuple[Planned, ...]:
    """The first ``limit`` steps a run asks for, with ``loops`` turns of the target's loop."""
    entries: list[tuple[Spec, int | None]] = []
    inside = None
    if target.kind == "agent":
        entries, inside = [(agent_spec(target), None)], 0
    for spec in (*target.prefix, *(target.loop * loops), *target.suffix):
        entries.append((spec, inside))
        position = len(entries) - 1
        entries += [(child, position) for child in spec.children]
    entries = entries[:limit]
    total = sum(spec.share for spec, _ in entries) or 1.0
    counts: dict[str, int] = {}
    steps, elapsed = [], 0.0
    for spec, parent in entries:
        n = counts[spec.key] = counts.get(spec.key, -1) + 1
        offset, length = elapsed / total, 0.9 * spec.share / total
        steps.append(Planned(spec, f"step:{spec.key}#{n}", n, offset, length, parent))
        elapsed += spec.share
    return tuple(_enclose(steps))


def _enclose(steps: list[Planned]) -> list[Planned]:
    """Each agent and prompt_llm step lasts from its own start to the end of its last child."""
    for position, step in enumerate(steps):
        if step.spec.kind not in COMPOSITE:
            continue
        end = max((i for i, s in enumerate(steps) if s.parent == position), default=position)
        last = steps[end]
        steps[position] = replace(step, length=last.offset + last.length - step.offset, end=end)
    return steps


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
    failure: Failure | None = None
    wake_at: float | None = None
    child_pk: int | None = None
    child_window: tuple[float, float] | None = None  # the child run's time, within its step
    steps: int = 0
