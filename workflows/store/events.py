"""The event log the engine replays and writes through, on a run's step rows."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.db import transaction

from history.models import Run

from .. import faults, log_output, metrics
from ..conf import engine_settings
from ..engine import StepRecord
from ..errors import RunStopped
from ..origins import RunOrigin
from ..storable import has_json_nul
from . import steps
from .leases import PassEnd
from .runs import create_run_txn
from .traces import Trace


class DatabaseEventLog:
    """The replay core's event log, on ``history.Step`` rows, guarded by the run's lease."""

    def __init__(
        self, run: Run, owner: str, records: dict[int, StepRecord], defer: bool = False
    ) -> None:
        self.run, self.owner, self.run_id = run, owner, run.public_id
        # step_commits="deferred": a finished step waits here for the pass's next write.
        self.defer = defer
        self.pending: StepRecord | None = None
        self.records = records  # read with the claim
        # What the pass's end records without asking the database again.
        self.positions = set(records)
        self.children = any(record.child_run_id for record in records.values())
        self.per_branch_numbering = run.step_numbering == Run.StepNumbering.PER_BRANCH
        self.timings = metrics.StepTimings()  # counted when the pass concludes, not per step

    def load(self) -> dict[int, StepRecord]:
        return self.records

    def end(self, trace: Trace | None) -> PassEnd:
        return PassEnd(len(self.positions), self.children, trace, self.timings, self.pending)

    def record(self, record: StepRecord) -> None:
        if record.status == "success":
            faults.reach("step-returned", record.step_id)
        self._flush()
        if self.defer and record.status == "success" and not record.usage and _storable(record):
            self.pending = record
        elif not steps.record_step(self.run.pk, self.owner, record):
            raise RunStopped
        self.positions.add(record.position)
        self.timings.observe(record)

    def _flush(self) -> None:
        pending, self.pending = self.pending, None
        if pending and not steps.record_step(self.run.pk, self.owner, pending):
            raise RunStopped

    def start_child(
        self, record: StepRecord, workflow: Any, input: dict[str, Any], tool_of: str | None = None
    ) -> StepRecord:
        self._flush()
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


def _storable(record: StepRecord) -> bool:
    """Whether the database will take the record: one it refuses is written at once, so the
    failure ends the pass as it does for any step, not the write that ends the run."""
    try:
        text = json.dumps([record.input, record.output], allow_nan=False)
    except (TypeError, ValueError):
        return False
    return not has_json_nul(text)
