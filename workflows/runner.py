"""Drive one run for a worker: claim it, replay it while its lease is renewed, record how it
ended.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from contextlib import nullcontext
from typing import Any

from django.db import DatabaseError, InterfaceError, OperationalError

from . import log_output
from .conf import engine_settings
from .engine import Failed, Outcome, error_dict, execute
from .errors import RunStopped, WorkerStopping
from .heartbeat import heartbeats
from .registry import registry
from .store import DatabaseEventLog, claim_run, conclude_run, release_run
from .tracing import RunTrace, tracing_enabled

logger = logging.getLogger("keystroke.runner")


class Flag:
    """A flag that signal handlers may set: ``threading.Event`` takes a lock, and a handler that
    interrupts another one holding it (two signals of one stop, close together) never returns."""

    def __init__(self) -> None:
        self._value = False

    def set(self) -> None:
        self._value = True

    def clear(self) -> None:
        self._value = False

    def is_set(self) -> bool:
        return self._value


# Set in a worker process that was asked to shut down (see workflows.shutdown): the run in
# hand stops at its next step boundary and goes back to the queue for another worker.
draining = Flag()
# Set while this process executes a pass, so a second shutdown request can stop it at once.
executing = Flag()


def resume_run(run_pk: int) -> str:
    """Execute one pass of a run if it is ours to run; return what happened, for logs."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    claim = claim_run(run_pk, owner)
    if claim is None:
        return "skipped: not queued, another worker holds it, or its workflow is paused"
    run = claim.run
    workflow = registry.workflow(run.slug)
    if workflow is None:
        message = (
            f"No workflow {run.slug!r} is registered in this worker's project "
            f"({engine_settings()['PROJECT_DIR']}): deploy it there, or cancel the run."
        )
        conclude_run(
            run,
            owner,
            Failed(
                {"type": "UnknownWorkflow", "message": message, "step_id": None, "traceback": ""}
            ),
            DatabaseEventLog(run, owner, claim.steps).end(None),
        )
        return "failed: unknown workflow"
    log = DatabaseEventLog(run, owner, claim.steps, workflow.step_commits)
    outcome: Outcome | None = None
    interrupted = False
    with (
        RunTrace(run) if tracing_enabled() else nullcontext() as tracer,
        heartbeats.hold(run.pk, owner) as stop,
    ):
        try:
            executing.set()
            outcome = execute(
                workflow,
                run.input,
                log,
                attempt=run.attempt,
                stop=stop,
                deadline=run.deadline_at,
                tracer=tracer,
                drain=draining,
            )
        except WorkerStopping:
            interrupted = True
        except RunStopped:
            pass
        except DatabaseError as exc:
            if isinstance(exc, (OperationalError, InterfaceError)):
                raise  # the database is away: the lease lapses and the sweeper retries the run
            # a write the database refuses would fail on every retry
            outcome = Failed(error_dict(exc))
        finally:
            executing.clear()
            log_output.release_tokens(owner)
    trace = tracer.batch if tracer else None
    if interrupted:
        _keep_finished_steps(run, log)
        logger.warning(
            "run %s interrupted: this worker was told again to stop; its lease lapses",
            run.public_id,
        )
        return "interrupted: the worker was told again to stop"
    if outcome is None:
        released = release_run(run.pk, owner, log.end(trace))
        if released and draining.is_set():
            logger.info(
                "run %s released: this worker is shutting down, another one continues it",
                run.public_id,
            )
            return "released: the worker is shutting down"
        return "stopped"
    conclude_run(run, owner, outcome, log.end(trace))
    return type(outcome).__name__.lower()


def _keep_finished_steps(run: Any, log: DatabaseEventLog) -> None:
    """A pass told again to stop still commits the steps it finished and had not committed yet
    (step_commits "deferred" or "batched"), so the next pass does not run them again."""
    try:
        log.flush()
    except RunStopped:
        pass  # the run is no longer ours: whoever holds it now records its steps
    except DatabaseError:
        logger.exception(
            "run %s: the finished steps of its interrupted pass were not committed; they run again",
            run.public_id,
        )
