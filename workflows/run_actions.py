"""Cancel, retry and rerun by name, and answering a hook, for the API's routes and for
History's buttons and admin, which reach them through history.run_actions (History never
imports the engine)."""

from __future__ import annotations

from history import run_actions

from .errors import HookNotFound, InvalidState
from .runs import cancel_run, rerun_run, resume_named_hook, retry_run

ACTIONS = {"cancel": cancel_run, "retry": retry_run, "rerun": rerun_run}


def provide_to_history() -> None:
    run_actions.provide(ACTIONS, resume_named_hook, refusals=(InvalidState, HookNotFound))
