"""The replay core. Imports neither Django nor Celery."""

from __future__ import annotations

from .context import Context, HookHandle, StepContext
from .log import EventLog, MemoryEventLog, StepRecord
from .replay import (
    Completed,
    Failed,
    Outcome,
    Suspended,
    SuspendItem,
    current_pass,
    error_dict,
    escape_json_nul,
    execute,
    has_json_nul,
    storable,
)

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
    "escape_json_nul",
    "execute",
    "has_json_nul",
    "storable",
]
