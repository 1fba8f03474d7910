"""Cancel, retry and rerun by name, for the API's routes and for History's buttons and admin,
which reach them through history.run_actions (History never imports the engine); bulk jobs'
start and stop, which History reaches through history.bulk."""

from __future__ import annotations

from history import bulk as history_bulk
from history import run_actions

from .bulk import start_bulk, stop_bulk
from .errors import InvalidState
from .runs import cancel_run, rerun_run, retry_run

ACTIONS = {"cancel": cancel_run, "retry": retry_run, "rerun": rerun_run}


def provide_to_history() -> None:
    run_actions.provide(ACTIONS, refusal=InvalidState)
    history_bulk.provide(start_bulk, stop_bulk, refusal=InvalidState)
