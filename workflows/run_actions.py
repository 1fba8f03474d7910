"""Cancel, retry and rerun by name, and retry from a step, for the API's routes and for History's
buttons and admin, which reach them through history.run_actions (History never imports the
engine)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from history import run_actions
from history.access import Actor
from history.errors import BadInput, Refused
from history.models import Run

from .errors import InvalidState, ServiceError, field_errors
from .retry_from_step import retry_from_step
from .runs import cancel_run, rerun_run, retry_run

ACTIONS = {"cancel": cancel_run, "retry": retry_run, "rerun": rerun_run}


def provide_to_history() -> None:
    run_actions.provide(ACTIONS, refusal=InvalidState, retry_from=_retry_from_for_history)


def _retry_from_for_history(
    run: Run, actor: Actor, from_step: str, input: dict[str, Any] | None
) -> Run:
    try:
        return retry_from_step(run, actor, from_step, input)
    except ValidationError as exc:
        raise BadInput(field_errors(exc)) from exc
    except ServiceError as exc:
        raise Refused(str(exc)) from exc
