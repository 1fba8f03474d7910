"""What people and programs do to runs: start, cancel, retry, rerun, resume a hook."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from pydantic import ValidationError

from history.access import Actor
from history.hook_forms import SchemaGone, hook_schema
from history.models import Run, Step, TriggerDelivery
from history.waits import hook_name

from . import store, task_recording
from .errors import HookNotFound, IdempotencyKeyReused, InvalidState
from .origins import RunOrigin
from .registry import registry

# Idempotency records of API starts share the webhook deliveries' table under this name, which
# no trigger slug can take; workflow and agent starts share one key space per organization.
API_STARTS = "(api)"


@dataclass(frozen=True)
class Once:
    """An Idempotency-Key and the digest of the start it was sent with."""

    key: str
    digest: str


@transaction.atomic(durable=True)
def start_run(
    workflow: Any, input: dict[str, Any], origin: RunOrigin, once: Once | None = None
) -> Run:
    """Create a queued run for already-validated input; its message is sent after commit.

    With ``once``, the idempotency record is written in the same transaction as the run, so
    there is never one without the other.
    """
    run = store.create_run_txn(workflow, input, origin)
    if once:
        store.record_delivery_txn(
            origin.organization_id, API_STARTS, once.key, once.digest, started_body(run)
        )
    return run


def started_body(run: Run) -> dict[str, Any]:
    return {"run_id": run.public_id, "status": run.status}


def first_start(organization_id: int, once: Once) -> dict[str, Any] | None:
    """What the first start with this key answered, or None; a key sent with another start is
    refused.
    """
    first = TriggerDelivery.objects.filter(
        organization_id=organization_id, trigger=API_STARTS, key=once.key
    ).first()
    if first is None:
        return None
    if first.request_digest != once.digest:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {once.key!r} was already used for a different start (run "
            f"{first.response.get('run_id')}): send a new key for a new request."
        )
    return first.response


def start_once(
    workflow: Any, body: Any, origin: RunOrigin, once: Once | None
) -> tuple[dict[str, Any], bool]:
    """Validate ``body`` and start a run, unless ``once`` already started one.

    Returns the start's body and whether it is new. Raises pydantic.ValidationError (and
    records nothing, so a corrected retry with the same key starts the run) or
    IdempotencyKeyReused.
    """
    if once and (first := first_start(origin.organization_id, once)):
        return first, False
    input = workflow.validate_input(body)
    try:
        return started_body(start_run(workflow, input, origin, once=once)), True
    except IntegrityError:
        # A concurrent request with the same key committed first; its run stands, this one rolled
        # back.
        first = first_start(origin.organization_id, once) if once else None
        if first is None:
            raise
        return first, False


def refuse_task(run: Run, action: str) -> None:
    """A Celery task's run is a record: the engine never runs it, so it is not retried or rerun."""
    if run.kind == Run.Kind.TASK:
        raise InvalidState(
            f"Run {run.public_id} is a Celery task ({run.slug}), which Keystroke records but does "
            f"not run, so it cannot be {action}: send the task again from your code."
        )


@transaction.atomic(durable=True)
def cancel_run(run: Run, actor: Actor) -> Run:
    """Cancel a run and its active descendants; a running one stops at its next step boundary.

    A Celery task's run is canceled only while queued, and its task is revoked: Celery stops a
    running task only by killing the process that runs it, which History does not do.
    """
    if run.kind == Run.Kind.TASK:
        return _cancel_task(run, actor)
    if not store.cancel_tree_txn(run):
        raise InvalidState(
            f"Run {run.public_id} is {run.status}; only queued, running, sleeping or waiting runs "
            "can be canceled."
        )
    run.refresh_from_db()
    actor.audit("run.cancel", run.public_id)
    return run


def _cancel_task(run: Run, actor: Actor) -> Run:
    task_id = str(run.trigger_raw.get("task_id") or "")
    if not task_id or not store.cancel_queued_task_txn(run.pk):
        raise InvalidState(
            f"Run {run.public_id} is a Celery task that is {run.status}; only a queued task can be "
            "canceled (revoked), as Celery stops a running one only by killing its worker process."
        )
    transaction.on_commit(lambda: task_recording.revoke(task_id))
    run.refresh_from_db()
    actor.audit("run.cancel", run.public_id, task_id=task_id)
    return run


@transaction.atomic(durable=True)
def retry_run(run: Run, actor: Actor) -> Run:
    """Continue a failed or canceled run in place from its first unfinished step."""
    refuse_task(run, "retried")
    workflow = registry.workflow(run.slug)
    if not store.retry_run_txn(run, workflow.timeout if workflow is not None else None):
        raise InvalidState(
            f"Run {run.public_id} is {run.status}; only failed or canceled runs can be retried."
        )
    actor.audit("run.retry", run.public_id, attempt=run.attempt + 1)
    run.refresh_from_db()
    return run


@transaction.atomic(durable=True)
def rerun_run(run: Run, actor: Actor) -> Run:
    """Start a new run with the same input, linked to the original."""
    refuse_task(run, "rerun")
    workflow = registry.workflow(run.slug)
    if workflow is None:
        raise InvalidState(
            f"No workflow {run.slug!r} is registered any more, so run {run.public_id} cannot be "
            "rerun."
        )
    # Locked, so a retention prune deleting it either finishes first or waits for the new link.
    if not store.lock_run_txn(run.pk):
        raise InvalidState(f"Run {run.public_id} was deleted (retention) while it was being rerun.")
    new = store.create_run_txn(workflow, run.input, RunOrigin.rerun(run, actor))
    actor.audit("run.rerun", run.public_id, new_run=new.public_id)
    return new


def find_hook(token: str) -> Step:
    """The hook with this token, with its run (read only); raises HookNotFound."""
    step = (
        Step.objects.select_related("run")
        .filter(token=token, kind=Step.Kind.HOOK, copied=False)
        .first()
    )
    if step is None:
        raise HookNotFound("No hook has this token: check the URL, or the run was deleted.")
    return step


def resume_hook_step(actor: Actor, step: Step, payload: Any) -> Step:
    """Answer this open hook step as ``actor`` (an operator), audited: History's form."""
    return resume_hook(
        step.token, payload, resumed_by=actor.label, address=actor.address, actor=actor
    )


def resume_named_hook(actor: Actor, run: Run, name: str, payload: Any) -> Step:
    """Answer the run's open hook called ``name``, as ``actor`` (an operator), audited."""
    steps = Step.objects.filter(run=run, kind=Step.Kind.HOOK).order_by("position")
    named = [step for step in steps if hook_name(step.step_id) == name]
    if not named:
        raise HookNotFound(f"Run {run.public_id} has no hook named {name!r}.")
    waiting = [step for step in named if step.status == Step.Status.WAITING]
    token = (waiting or named)[0].token
    return resume_hook(token, payload, resumed_by=actor.label, address=actor.address, actor=actor)


@transaction.atomic(durable=True)
def resume_hook(
    token: str,
    payload: Any,
    resumed_by: str,
    address: str | None = None,
    actor: Actor | None = None,
) -> Step:
    """Deliver a hook's payload and wake its run; a second resume is refused. Audited as
    ``actor``, or, for a resume URL, as the URL's holder.

    Raises HookNotFound, InvalidState, or pydantic.ValidationError for a payload that does
    not match the hook's schema.
    """
    step = Step.objects.select_related("run").filter(token=token, copied=False).first()
    if step is None:
        raise HookNotFound("No hook has this token: check the URL, or the run was deleted.")
    if step.status != Step.Status.WAITING or step.run.is_terminal:
        state = "was already resumed" if step.status == Step.Status.SUCCESS else f"is {step.status}"
        raise InvalidState(
            f"Hook {step.step_id} of run {step.run.public_id} {state} (run {step.run.status})."
        )
    try:
        schema = hook_schema(step)
    except SchemaGone as exc:
        raise InvalidState(str(exc)) from None
    if not isinstance(payload, dict):
        raise ValidationError.from_exception_data(
            "payload", [{"type": "dict_type", "loc": (), "input": payload}]
        )
    value = schema.model_validate(payload).model_dump(mode="json") if schema else payload
    if not store.answer_hook_txn(step.pk, value, resumed_by):
        raise InvalidState(f"Hook {step.step_id} of run {step.run.public_id} was already resumed.")
    store.wake_run_txn(step.run_id)
    if actor is None:
        actor = Actor(step.run.organization, "operator", resumed_by, address=address)
    actor.audit("hook.resume", step.run.public_id, step_id=step.step_id)
    step.refresh_from_db()
    return step
