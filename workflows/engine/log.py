"""The event log the replay core reads and writes, and its in-memory implementation."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from ..workspace.blobs import Blobs, MemoryBlobs
from .kinds import FAILED, SUCCESS, WAITING
from .outcomes import Completed, Failed, Outcome

# Runs a child workflow inline on its own memory log: ``execute`` bound by ``execute_workflow``.
ChildRunner = Callable[[Any, Any, "MemoryEventLog"], Outcome]


@dataclass
class StepRecord:
    """What the log holds for one step: the same fields as ``history.Step``."""

    position: int
    step_id: str
    kind: str
    status: str
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    started_at: datetime | None = None
    finished_at: datetime | None = None
    wake_at: datetime | None = None
    token: str | None = None
    child_run_id: str | None = None
    parent_position: int | None = None  # the agent or prompt_llm step this step ran inside
    cost: Decimal = Decimal(0)  # the step's usage so far, priced
    copied: bool = False  # copied from the run this one retries from a later step
    workspace: str = ""  # the digest of the run's workspace after this step ("" none stored)
    workspace_seq: int = 0  # that state's number in the run: the highest is the latest
    # Usage lines this write adds (model calls, paid services); not read back by load().
    usage: list[dict[str, Any]] = field(default_factory=list)


class EventLog(Protocol):
    """Where one run's steps are kept. The worker's is the database (``workflows.store``)."""

    run_id: str
    # False for runs recorded with one counter per run, before branches had numbers of their own.
    per_branch_numbering: bool
    # The project version the run was started on, and the one this process runs ("" unknown):
    # named by a NonDeterminismError.
    version: str
    code_version: str

    def load(self) -> dict[int, StepRecord]:
        """Every recorded step of the run, by position, in one read."""
        ...

    def record(self, record: StepRecord) -> None:
        """Persist a step (insert or update by position); raise RunStopped if the run is no longer
        ours.
        """
        ...

    def start_child(
        self, record: StepRecord, workflow: Any, input: dict[str, Any], tool_of: str | None = None
    ) -> StepRecord:
        """Start a child run for a workflow step and return the step's record as it now stands.

        ``tool_of`` names the agent when the workflow runs as that agent's tool.
        """
        ...

    def hook_token(self, step_id: str) -> str:
        """The resume token of a hook: unguessable, and the same on every replay."""
        ...

    def hook_url(self, token: str) -> str:
        """The absolute URL that resumes a hook."""
        ...

    def workspace_blobs(self) -> Blobs:
        """Where the run's workspace is stored (define_workflow(workspace=True))."""
        ...


class MemoryEventLog:
    """An event log held in memory, for tests and ``execute_workflow``.

    Seed it with outputs to skip steps: ``MemoryEventLog.seeded({"step:greet#0": {"text": "hi"}})``.
    Child workflows run inline through ``run_child``, each on a log of its own (``children``).
    """

    def __init__(
        self,
        records: list[StepRecord] | None = None,
        run_id: str = "run_memory",
        run_child: ChildRunner | None = None,
        per_branch_numbering: bool = True,
        version: str = "",
        code_version: str = "",
    ) -> None:
        self.run_id, self.run_child = run_id, run_child
        self.per_branch_numbering = per_branch_numbering
        self.version, self.code_version = version, code_version
        self.records: dict[int, StepRecord] = {r.position: r for r in records or []}
        self.children: dict[str, MemoryEventLog] = {}
        self.usage: list[dict[str, Any]] = []  # every usage line recorded, with its step's position
        self.writes = 0
        self.blobs = MemoryBlobs()  # the run's workspace, if its workflow has one

    @classmethod
    def seeded(
        cls, outputs: dict[str, Any], run_id: str = "run_memory", per_branch_numbering: bool = True
    ) -> MemoryEventLog:
        """A log whose first steps, in the given order, completed with the given outputs."""
        records = [
            StepRecord(
                position=i, step_id=step_id, kind=_kind_of(step_id), status=SUCCESS, output=output
            )
            for i, (step_id, output) in enumerate(outputs.items())
        ]
        return cls(records, run_id=run_id, per_branch_numbering=per_branch_numbering)

    def load(self) -> dict[int, StepRecord]:
        return {p: replace(r) for p, r in self.records.items()}

    def record(self, record: StepRecord) -> None:
        self.writes += 1
        self.usage += [{**item, "position": record.position} for item in record.usage]
        self.records[record.position] = replace(record, usage=[])

    def start_child(
        self, record: StepRecord, workflow: Any, input: dict[str, Any], tool_of: str | None = None
    ) -> StepRecord:
        if self.run_child is None:
            raise RuntimeError(
                "This MemoryEventLog cannot run child workflows: pass run_child=execute, or "
                "run the workflow with execute_workflow(), which does."
            )
        child_id = f"{self.run_id}.{record.position}"
        log = self.children.setdefault(
            child_id, MemoryEventLog(run_id=child_id, run_child=self.run_child)
        )
        outcome = self.run_child(workflow, input, log)
        record = replace(record, child_run_id=child_id, status=WAITING)
        if isinstance(outcome, Completed):
            record = replace(record, status=SUCCESS, output=outcome.output)
        elif isinstance(outcome, Failed):
            record = replace(record, status=FAILED, error=outcome.error)
        self.record(record)
        return record

    def hook_token(self, step_id: str) -> str:
        return hmac.new(b"memory", f"{self.run_id}:{step_id}".encode(), hashlib.sha256).hexdigest()[
            :40
        ]

    def hook_url(self, token: str) -> str:
        return f"memory://hooks/{token}"

    def workspace_blobs(self) -> MemoryBlobs:
        return self.blobs

    def resume_hook(self, token: str, payload: dict[str, Any]) -> None:
        """Resume a waiting hook, as ``POST /hooks/<token>`` does on a server."""
        for record in self.records.values():
            if record.token == token and record.status == WAITING:
                record.status, record.output = SUCCESS, payload
                return
        raise KeyError(f"no waiting hook has token {token!r}")


def _kind_of(step_id: str) -> str:
    key = step_id.removeprefix("step:").rsplit("#", 1)[0]
    return {"sleep": "sleep", "now": "now", "uuid": "uuid", "llm": "llm", "model": "model"}.get(
        key, "action"
    )
