"""Drive one run for a worker: claim it, replay it under a heartbeat, record how it ended."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from contextlib import nullcontext
from types import TracebackType

from django.db import DatabaseError, InterfaceError, OperationalError, connection

from . import log_output
from .conf import engine_settings
from .engine import Failed, Outcome, error_dict, execute
from .errors import RunStopped, WorkerStopping
from .registry import registry
from .store import DatabaseEventLog, claim_run, conclude_run, release_run, renew_lease
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


class Heartbeat:
    """Renews the run's lease in a thread; ``stop`` is set once the run is no longer ours."""

    def __init__(self, run_pk: int, owner: str) -> None:
        self.run_pk, self.owner = run_pk, owner
        self.stop = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_pk}", daemon=True)

    def __enter__(self) -> threading.Event:
        self._thread.start()
        return self.stop

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._done.set()
        self._thread.join()

    def _beat(self) -> None:
        lease = engine_settings()["LEASE_SECONDS"]
        renewed = time.monotonic()
        try:
            while not self._done.wait(lease / 3):
                result = self._renew()
                if result:
                    renewed = time.monotonic()
                elif result is False or self._renew_failed_for_good(renewed, lease):
                    # canceled, taken over, or the lease lapsed while the database was away
                    self.stop.set()
                    return
        finally:
            connection.close()  # this thread's own connection

    def _renew(self) -> bool | None:
        """True when renewed, False when the run is no longer ours, None when the database
        failed.
        """
        try:
            return renew_lease(self.run_pk, self.owner)
        except DatabaseError:
            logger.warning(
                "heartbeat of run %s could not reach the database; retrying",
                self.run_pk,
                exc_info=True,
            )
            connection.close()  # reconnect on the next beat
            return None

    def _renew_failed_for_good(self, renewed: float, lease: float) -> bool:
        # A transient error keeps the step going while the lease still holds; past it, another
        # worker may already have the run, so this one must stop.
        return time.monotonic() - renewed >= lease


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
        )
        return "failed: unknown workflow"
    log = DatabaseEventLog(run, owner, claim.steps)
    outcome: Outcome | None = None
    interrupted = False
    with (
        RunTrace(run) if tracing_enabled() else nullcontext() as tracer,
        Heartbeat(run.pk, owner) as stop,
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
        logger.warning(
            "run %s interrupted: this worker was told again to stop; its lease lapses",
            run.public_id,
        )
        return "interrupted: the worker was told again to stop"
    if outcome is None:
        released = release_run(run.pk, owner, trace, log.timings)
        if released and draining.is_set():
            logger.info(
                "run %s released: this worker is shutting down, another one continues it",
                run.public_id,
            )
            return "released: the worker is shutting down"
        return "stopped"
    conclude_run(run, owner, outcome, trace, log.timings)
    return type(outcome).__name__.lower()
