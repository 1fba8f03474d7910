"""The replay core. Imports neither Django nor Celery (§2)."""

from __future__ import annotations

from .context import Context, HookHandle, StepContext
from .log import EventLog, MemoryEventLog, StepRecord
from .replay import Completed, Failed, Outcome, Suspended, SuspendItem, current_pass, error_dict, execute, storable

__all__ = [
    "Completed",
    "Context",
    "EventLog",
    "Failed",
    "HookHandle",
    "MemoryEventLog",
    "Outcome",
    "StepContext",
    "StepRecord",
    "SuspendItem",
    "Suspended",
    "current_pass",
    "error_dict",
    "execute",
    "storable",
]
