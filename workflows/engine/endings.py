"""How a pass ends: the workflow's validated output, its error, or what it now waits for."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from ..errors import OutputValidationError, WorkflowError
from ..storable import check_storable
from .failures import error_dict
from .outcomes import Completed, Failed, Outcome, Suspended, SuspendItem
from .runtime import WorkflowDef


def ended(workflow: WorkflowDef, main: asyncio.Task[Any]) -> Outcome:
    """The outcome of a workflow coroutine that finished: its output checked, or its error."""
    if main.cancelled():
        message = "The workflow coroutine was cancelled."
        return Failed({"type": "CancelledError", "message": message, "step_id": None})
    exc = main.exception()
    if exc is not None:
        return Failed(error_dict(exc))
    what = f"Workflow {workflow.slug!r}"
    try:
        output = workflow.output.model_validate(_plain(main.result())).model_dump(mode="json")
        check_storable(output, what)
    except OutputValidationError as err:
        return Failed(error_dict(err))
    except Exception as err:  # pydantic.ValidationError, kept generic: no pydantic import here
        name = workflow.output.__name__
        message = f"{what} returned a value that does not match {name}: {err}"
        return Failed(error_dict(OutputValidationError(message)))
    return Completed(output)


def suspended(
    workflow: WorkflowDef, waiting: list[SuspendItem], deadline: datetime | None
) -> Outcome:
    """A pass whose every branch waits: on the clock, a person or another run, until the earliest
    wake-up (the run's deadline included).
    """
    if not waiting:
        message = (
            f"Workflow {workflow.slug!r} awaited something that is not a durable step "
            "(such as asyncio.sleep or a network call): use ctx.sleep() for waits and put I/O "
            "in an action."
        )
        return Failed(error_dict(WorkflowError(message)))
    wakes = [item.wake_at for item in waiting if item.wake_at]
    if deadline:
        wakes.append(deadline)
    return Suspended(list(waiting), min(wakes) if wakes else None)


def _plain(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    return dump(mode="json") if callable(dump) else value
