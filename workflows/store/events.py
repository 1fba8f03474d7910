"""The event log the engine replays and writes through, on a run's step rows."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.db import transaction

from history.models import Run
from history.workspace_files import StorageBlobs

from .. import faults, log_output, metrics, versions
from ..conf import engine_settings
from ..engine import StepRecord
from ..errors import RunStopped
from ..origins import RunOrigin
from ..storable import has_json_nul
from . import steps
from .leases import PassEnd
from .runs import create_run_txn
from .traces import Trace

# step_commits="batched": finished steps wait together for the pass's next durable point, but
# no more than this many, and none longer than this once the next step finishes.
BATCH_MOST_RECORDS, BATCH_MOST_SECONDS = 100, 1.0


class DatabaseEventLog:
    """The replay core's event log, on ``history.Step`` rows, guarded by the run's lease."""

    def __init__(
        self, run: Run, owner: str, records: dict[int, StepRecord], commits: str = "each"
    ) -> None:
        self.run, self.owner, self.run_id = run, owner, run.public_id
        # The workflow's step_commits: "each", or finished steps waiting in `pending` for the
        # pass's next write ("deferred") or for a batch ("batched").
        self.commits = commits
        self.pending: list[StepRecord] = []
        self.pending_since = 0.0
        self.records = records  # read with the claim
        # What the pass's end records without asking the database again.
        self.positions = set(records)
        self.children = any(record.child_run_id for record in records.values())
        self.per_branch_numbering = run.step_numbering == Run.StepNumbering.PER_BRANCH
        self.version, self.code_version = run.version, versions.current()
        self.timings = metrics.StepTimings()  # counted when the pass concludes, not per step

    def load(self) -> dict[int, StepRecord]:
        return self.records

    def end(self, trace: Trace | None) -> PassEnd:
        return PassEnd(len(self.positions), self.children, trace, self.timings, tuple(self.pending))

    def record(self, record: StepRecord) -> None:
        if record.status == "success":
            faults.reach("step-returned", record.step_id)
        if self.commits != "each" and record.status == "success" and not record.usage:
            if _storable(record):
                self._wait_with_others(record)
                self.positions.add(record.position)
                self.timings.observe(record)
                return
        self.flush()
        if not steps.record_step(self.run.pk, self.owner, record):
            raise RunStopped
        self.positions.add(record.position)
        self.timings.observe(record)

    def _wait_with_others(self, record: StepRecord) -> None:
        if self.pending and (
            self.commits == "deferred"
            or len(self.pending) >= BATCH_MOST_RECORDS
            or time.monotonic() - self.pending_since >= BATCH_MOST_SECONDS
        ):
            self.flush()
        if not self.pending:
            self.pending_since = time.monotonic()
        self.pending.append(record)

    def flush(self) -> None:
        """Commit the finished steps that wait; RunStopped when the run is no longer ours."""
        if not self.pending:
            return
        # Cleared once committed: a commit interrupted (a second stop, the database away) leaves
        # them for the pass's last flush.
        kept = steps.record_steps(self.run.pk, self.owner, self.pending)
        self.pending = []
        if not kept:
            raise RunStopped

    def start_child(
        self, record: StepRecord, workflow: Any, input: dict[str, Any], tool_of: str | None = None
    ) -> StepRecord:
        self.flush()
        with transaction.atomic():
            child = create_run_txn(
                workflow, input, RunOrigin.child(self.run, record.step_id, tool_of)
            )
            record = replace(record, child_run_id=child.public_id)
            if not steps.record_step(self.run.pk, self.owner, record, child_pk=child.pk):
                raise RunStopped  # rolls the child back with the step
        self.positions.add(record.position)
        self.children = True
        return record

    def hook_token(self, step_id: str) -> str:
        message = f"hook:{self.run.uid.hex}:{step_id}".encode()
        return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()[:40]

    def hook_url(self, token: str) -> str:
        # Asked for every hook handle the pass hands out, replayed ones included: the workflow
        # may log the token, and this process's log output hides it.
        log_output.hold_token(self.owner, token)
        return f"{engine_settings()['PUBLIC_URL'].rstrip('/')}/hooks/{token}"

    def workspace_blobs(self) -> StorageBlobs:
        return StorageBlobs(self.run.uid.hex)


def _storable(record: StepRecord) -> bool:
    """Whether the database will take the record: one it refuses is written at once, so the
    failure ends the pass as it does for any step, not the write that ends the run."""
    try:
        text = json.dumps([record.input, record.output], allow_nan=False)
    except (TypeError, ValueError):
        return False
    return not has_json_nul(text)
