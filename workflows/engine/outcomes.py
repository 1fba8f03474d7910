"""How one pass of a workflow ended: completed, failed, or suspended on what it waits for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class SuspendItem:
    """What a suspended run waits on."""

    kind: str  # "sleep", "retry", "hook" or "child"
    step_id: str
    wake_at: datetime | None = None
    token: str | None = None
    url: str | None = None
    child_run_id: str | None = None


@dataclass(frozen=True)
class Completed:
    output: Any


@dataclass(frozen=True)
class Failed:
    error: dict[str, Any]


@dataclass(frozen=True)
class Suspended:
    items: list[SuspendItem]
    wake_at: datetime | None = None

    @property
    def waits_on_others(self) -> bool:
        """True when a person or another run must act (status ``waiting``), not just the clock."""
        return any(item.kind in ("hook", "child") for item in self.items)


Outcome = Completed | Failed | Suspended
