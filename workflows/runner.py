"""Drive one run for a worker: claim it, replay it under a heartbeat, record how it ended."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from types import TracebackType

from django.db import connection

from .conf import engine_settings
from .engine import Failed, execute
from .errors import RunStopped
from .registry import registry
from .store import DatabaseEventLog, claim_run, conclude_run, release_run, renew_lease

logger = logging.getLogger("keystroke.runner")


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
        interval = engine_settings()["LEASE_SECONDS"] / 3
        try:
            while not self._done.wait(interval):
                if not renew_lease(self.run_pk, self.owner):
                    self.stop.set()  # canceled, or another worker took over
                    return
        except Exception:
            logger.exception(
                "heartbeat of run %s failed; the lease will lapse and the sweeper will requeue it", self.run_pk
            )
        finally:
            connection.close()  # this thread's own connection


def resume_run(run_pk: int) -> str:
    """Execute one pass of a run if it is ours to run; return what happened, for logs."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    run = claim_run(run_pk, owner)
    if run is None:
        return "skipped: not queued, or another worker holds it"
    workflow = registry.workflow(run.slug)
    if workflow is None:
        message = (
            f"No workflow {run.slug!r} is registered in this worker's project "
            f"({engine_settings()['PROJECT_DIR']}): deploy it there, or cancel the run."
        )
        conclude_run(
            run, owner, Failed({"type": "UnknownWorkflow", "message": message, "step_id": None, "traceback": ""})
        )
        return "failed: unknown workflow"
    with Heartbeat(run.pk, owner) as stop:
        try:
            outcome = execute(
                workflow,
                run.input,
                DatabaseEventLog(run, owner),
                attempt=run.attempt,
                stop=stop,
                deadline=run.deadline_at,
            )
        except RunStopped:
            release_run(run.pk, owner)
            return "stopped"
    conclude_run(run, owner, outcome)
    return type(outcome).__name__.lower()
