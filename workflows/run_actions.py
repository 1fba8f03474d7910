"""Cancel, retry and rerun by name, retry from a step, and answering a hook, for the API's routes
and for History's buttons and admin, which reach them through history.run_actions (History never
imports the engine); bulk jobs' start and stop, which History reaches through history.bulk."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from history import bulk as history_bulk
from history import run_actions
from history.access import Actor
from history.errors import BadInput, Refused, field_errors
from history.models import Run

from .bulk import start_bulk, stop_bulk
from .errors import HookNotFound, InvalidState, ServiceError
from .retry_from_step import retry_from_step
from .runs import cancel_run, rerun_run, resume_hook_step, retry_run

ACTIONS = {"cancel": cancel_run, "retry": retry_run, "rerun": rerun_run}


def provide_to_history() -> None:
    run_actions.provide(
        ACTIONS,
        resume_hook_step,
        _retry_from_for_history,
        refusals=(InvalidState, HookNotFound),
    )
    history_bulk.provide(start_bulk, stop_bulk, refusal=InvalidState)


def _retry_from_for_history(
    run: Run, actor: Actor, from_step: str, input: dict[str, Any] | None
) -> Run:
    try:
        return retry_from_step(run, actor, from_step, input)
    except ValidationError as exc:
        raise BadInput(field_errors(exc)) from exc
    except ServiceError as exc:
        raise Refused(str(exc)) from exc
