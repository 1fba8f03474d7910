"""Retry a run from a chosen step: a new run that takes over the original's steps before that
step and runs the rest again, optionally with new input.

Which steps are copied: every top-level step recorded before ``from_step`` (by position) that
finished, with the steps that ran inside it (an agent's model and tool calls). Finished means
succeeded, or failed with an error the workflow caught and went on past (its branch asked for
a later step): a failure the run ended on runs again, as do steps still sleeping or waiting, and
an agent step any of whose inner steps came at or after ``from_step``. Copies keep their
positions and ids, and the new run numbers its steps as the original did, so its first pass
replays them. A copied step answers only the input it was recorded with: if the new input
changes what the code passes it, or the path the code takes, the new run fails naming that step.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from history.access import Actor
from history.models import Run, Step

from . import store
from .engine.positions import branch_of, last_positions
from .errors import InvalidState, UnknownFromStep
from .origins import RunOrigin
from .registry import registry
from .runs import refuse_task

SHOWN_IDS = 10  # how many valid step ids a refused from_step lists


@transaction.atomic(durable=True)
def retry_from_step(run: Run, actor: Actor, from_step: str | None, input: Any | None = None) -> Run:
    """Start a new run, linked to ``run``, from ``from_step`` (None: from the first step) with
    ``input`` (None: the original's). Raises InvalidState (409), UnknownFromStep (400) or
    pydantic.ValidationError for input the workflow refuses; changes nothing then.
    """
    refuse_task(run, "retried from a step")
    if not run.is_terminal:
        raise InvalidState(
            f"Run {run.public_id} is {run.status}; only a run that has ended can be retried from "
            "a step (cancel it first)."
        )
    workflow = registry.workflow(run.slug)
    if workflow is None:
        raise InvalidState(
            f"No workflow {run.slug!r} is registered any more, so run {run.public_id} cannot be "
            "retried from a step."
        )
    steps = list(run.steps.order_by("position"))
    copied = steps_to_copy(run, steps, from_step) if from_step is not None else []
    new_input = workflow.validate_input(input) if input is not None else run.input
    # Locked, so a retention prune deleting it either finishes first or waits for the new link.
    if not store.lock_run_txn(run.pk):
        raise InvalidState(f"Run {run.public_id} was deleted (retention) while being retried.")
    changed = new_input != run.input
    origin = RunOrigin.retry_from(run, actor, from_step, changed, len(copied))
    new = store.create_retry_run_txn(workflow, new_input, origin, run, copied)
    actor.audit(
        "run.retry",
        run.public_id,
        from_step=from_step,
        new_run=new.public_id,
        input_changed=changed,
        copied_steps=len(copied),
    )
    return new


def steps_to_copy(run: Run, steps: list[Step], from_step: str) -> list[Step]:
    """The steps of ``run`` (all of them, by position) a retry from ``from_step`` takes over."""
    chosen = _top_level_step(run, steps, from_step)
    by_position = {step.position: step for step in steps}
    units: dict[int, list[Step]] = {}
    for step in steps:
        units.setdefault(_root(step, by_position).position, []).append(step)
    last = last_positions((s.position, s.step_id) for s in steps if s.parent_position is None)
    copied: list[Step] = []
    for root_position, members in units.items():
        root = by_position[root_position]
        before = all(m.position < chosen.position for m in members)
        if before and _finished(root, last):
            copied += members
    return sorted(copied, key=lambda step: step.position)


def _top_level_step(run: Run, steps: list[Step], from_step: str) -> Step:
    by_id = {step.step_id: step for step in steps}
    step = by_id.get(from_step)
    if step is None:
        ids = [s.step_id for s in steps if s.parent_position is None]
        if not ids:
            raise UnknownFromStep(
                f"from_step {from_step!r}: run {run.public_id} recorded no steps; leave "
                "from_step out to run it again from the start."
            )
        shown = ", ".join(ids[:SHOWN_IDS]) + (", …" if len(ids) > SHOWN_IDS else "")
        raise UnknownFromStep(
            f"from_step {from_step!r} is not a step of run {run.public_id}; retry from one of "
            f"its steps: {shown}."
        )
    if step.parent_position is not None:
        root = _root(step, {s.position: s for s in steps})
        raise UnknownFromStep(
            f"from_step {from_step!r} ran inside {root.step_id}, which is retried as a whole: "
            f"retry from {root.step_id}."
        )
    return step


def _root(step: Step, by_position: dict[int, Step]) -> Step:
    while step.parent_position is not None and step.parent_position in by_position:
        step = by_position[step.parent_position]
    return step


def _finished(root: Step, last: dict[str, int]) -> bool:
    if root.status == Step.Status.SUCCESS:
        return True
    return root.status == Step.Status.FAILED and last[branch_of(root.step_id)] > root.position
