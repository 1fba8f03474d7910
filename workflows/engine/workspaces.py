"""A pass's view of its run's workspace: restored when first needed, stored after each round.

The folder is restored from the state the latest executed step left (the digest its record
names) the first time the pass executes a step or workflow code reads ``ctx.workspace``; a pass
that only replays to a sleep restores nothing.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import WorkspaceError
from ..workspace import Workspace, configured_limits
from ..workspace.blobs import WorkspaceFileMissing
from .log import EventLog, StepRecord


class RunWorkspace:
    def __init__(self, log: EventLog, records: dict[int, StepRecord], enabled: bool) -> None:
        self.log, self.records, self.enabled = log, records, enabled
        self.folder: Workspace | None = None
        # The number of the run's last stored state: the next round's records get the next one.
        self.sequence = (
            max((r.workspace_seq for r in records.values() if r.workspace), default=0)
            if enabled
            else 0
        )

    def path(self) -> Path | None:
        """The workspace folder, restored on first use; None when the workflow has none."""
        if not self.enabled:
            return None
        if self.folder is None:
            folder = Workspace(self.log.workspace_blobs(), configured_limits())
            try:
                folder.restore(latest_digest(self.records))
            except WorkspaceFileMissing as exc:
                folder.close()
                raise WorkspaceError(f"The run's workspace cannot be restored: {exc}") from None
            except BaseException:
                folder.close()
                raise
            self.folder = folder
        return self.folder.path

    def snapshot(self) -> str:
        """Store the folder as it is now; its digest ("" when the workflow has no workspace).

        Raises WorkspaceError when the workspace is over its limits.
        """
        if self.path() is None:
            return ""
        assert self.folder is not None
        return self.folder.snapshot()

    def next_sequence(self) -> int:
        self.sequence += 1
        return self.sequence

    def roll_back(self) -> None:
        """Put the folder back as the last stored state left it (a round that could not be
        stored), so the next steps do not work on what was refused."""
        if self.folder is None:
            return
        previous = self.folder.digest
        self.folder.close()
        self.folder = None
        folder = Workspace(self.log.workspace_blobs(), configured_limits())
        try:
            folder.restore(previous)
        except BaseException:
            folder.close()
            raise
        self.folder = folder

    @property
    def digest(self) -> str:
        """The state last restored or stored."""
        return self.folder.digest if self.folder is not None else latest_digest(self.records)

    def close(self) -> None:
        if self.folder is not None:
            self.folder.close()


def latest_digest(records: dict[int, StepRecord]) -> str:
    """The workspace state the run's latest executed step left ("" before any): by the state's
    number, which each pass counts on from the last, not by clocks, which workers disagree on."""
    stamped = [record for record in records.values() if record.workspace]
    if not stamped:
        return ""
    return max(stamped, key=lambda r: (r.workspace_seq, r.position)).workspace
