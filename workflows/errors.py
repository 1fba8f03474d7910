"""Errors raised to workflow code and recorded on failed runs."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class WorkflowError(Exception):
    """Base of every error the engine raises."""

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "message": str(self)}


class NonDeterminismError(WorkflowError):
    """The workflow asked for a different step than the one recorded at that position."""

    def __init__(self, run_id: str, position: int, recorded: str, requested: str) -> None:
        super().__init__(
            f"Run {run_id}: at position {position} the history has {recorded} but the code now "
            f"asks "
            f"for {requested}; check that your workflow is deterministic (no random, clock or I/O "
            "outside steps) and that a deploy did not reorder its steps."
        )
        self.run_id, self.position, self.recorded, self.requested = (
            run_id,
            position,
            recorded,
            requested,
        )


class OutputValidationError(WorkflowError):
    """A workflow or action returned a value that does not match its declared output model."""


class StepFailed(WorkflowError):
    """A step failed with an error that is not retried."""

    def __init__(
        self, step_id: str, message: str, errors: list[dict[str, Any]] | None = None
    ) -> None:
        super().__init__(message)
        self.step_id = step_id
        self.errors = errors or []

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "step_id": self.step_id, "attempts": self.errors}


class RetriesExhausted(StepFailed):
    """A step failed on every attempt its retry policy allowed."""


class ChildWorkflowFailed(StepFailed):
    """A child run ended failed or canceled."""


class HookTimeout(WorkflowError):
    """A hook was not resumed before its timeout."""

    def __init__(self, step_id: str, message: str) -> None:
        super().__init__(message)
        self.step_id = step_id

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "step_id": self.step_id}


class WorkflowTimeout(WorkflowError):
    """The run outlived its workflow's timeout."""


class NonRetryableError(Exception):
    """Raise from an action to fail its step at once, without further attempts."""


class StepTimeout(Exception):
    """One attempt of an action ran past the action's timeout."""


class RunStopped(BaseException):
    """The run was canceled or its lease was taken over; stop without recording anything.

    A BaseException so that workflow code catching Exception cannot swallow it.
    """


class WorkerStopping(RunStopped):
    """The worker was told again to stop: the pass ends now, in the middle of its step.

    The run is not released: a step running in a thread of this process may not have finished,
    so the run waits for its lease to lapse before another worker continues it.
    """


def restore_step_error(step_id: str, error: dict[str, Any]) -> WorkflowError:
    """Rebuild the exception a recorded failed step raised, so replay takes the same path."""
    kinds: dict[str, type[WorkflowError]] = {
        "RetriesExhausted": RetriesExhausted,
        "StepFailed": StepFailed,
        "ChildWorkflowFailed": ChildWorkflowFailed,
    }
    if error.get("type") == "HookTimeout":
        return HookTimeout(step_id, error.get("message", ""))
    cls = kinds.get(error.get("type", ""), StepFailed)
    return cls(step_id, error.get("message", ""), error.get("attempts"))


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """A validation error's messages by field, as the API and the hook page show them."""
    fields: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        name = ".".join(str(part) for part in error["loc"]) or "(body)"
        fields.setdefault(name, []).append(error["msg"])
    return fields
