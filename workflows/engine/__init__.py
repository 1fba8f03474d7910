"""The replay core. Imports neither Django nor Celery.

Where things happen: ``runtime`` is the seam workflow-side code calls; ``replay`` drives a
pass in lockstep rounds; ``positions`` and ``branches`` give each step its id; ``resolvers``
answer each kind of step; ``executor`` runs step code in threads; ``attempts`` decides what an
attempt leaves behind; ``log`` is where steps are kept (the database one is
``workflows.store``).
"""

from __future__ import annotations

from .context import Context, HookHandle
from .failures import error_dict
from .kinds import StepKind
from .log import EventLog, MemoryEventLog, StepRecord
from .outcomes import Completed, Failed, Outcome, Suspended, SuspendItem
from .replay import execute
from .runtime import Runtime, StepTarget, WorkflowDef, current_runtime
from .step_context import StepContext

__all__ = [
    "Completed",
    "Context",
    "EventLog",
    "Failed",
    "HookHandle",
    "MemoryEventLog",
    "Outcome",
    "Runtime",
    "StepContext",
    "StepKind",
    "StepRecord",
    "StepTarget",
    "SuspendItem",
    "Suspended",
    "WorkflowDef",
    "current_runtime",
    "error_dict",
    "execute",
]
