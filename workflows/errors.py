"""Every error the workflows app raises on purpose, under one base.

Engine errors (``WorkflowError``) reach workflow code and are recorded on failed runs; service
errors (``ServiceError``) refuse a request, and the API answers each with its own status;
``RunStopped`` is control flow, not an error.
"""

from __future__ import annotations

import traceback
from typing import Any


class KeystrokeError(Exception):
    """Base of the errors below (all but ``RunStopped``, which must not be caught as one)."""


class WorkflowError(KeystrokeError):
    """Base of every error the engine raises."""

    def to_dict(self) -> dict[str, Any]:
        return {"type": type(self).__name__, "message": str(self)}


class NonDeterminismError(WorkflowError):
    """The workflow asked for a different step than the one recorded at that position.

    ``versions`` are the project version the run was started on and the one running now, when
    known: a changed deploy and nondeterministic code call for different fixes.
    """

    def __init__(
        self,
        run_id: str,
        position: int,
        recorded: str,
        requested: str,
        copied: bool = False,
        versions: tuple[str, str] = ("", ""),
    ) -> None:
        if copied:
            # Not a bug in the workflow: the retry's new input took the code down another path.
            instead = f"asks for {requested} in its place" if requested else "no longer asks for it"
            message = (
                f"Run {run_id}: {recorded} was copied from the run this one retries, but with "
                f"this input the code {instead} (position {position}); retry from {recorded} or "
                "an earlier step so it runs again."
            )
        else:
            asks = f"now asks for {requested}" if requested else "no longer asks for it"
            message = (
                f"Run {run_id}: at position {position} the history has {recorded} but the code "
                f"{asks}; {_version_advice(*versions)}"
            )
        super().__init__(message)
        self.run_id, self.position, self.recorded, self.requested = (
            run_id,
            position,
            recorded,
            requested,
        )
        self.started_on, self.running = versions

    def to_dict(self) -> dict[str, Any]:
        detail = super().to_dict()
        if self.started_on or self.running:
            detail |= {"started_on_version": self.started_on, "running_version": self.running}
        return detail


def _version_advice(started_on: str, running: str) -> str:
    if started_on and running and started_on != running:
        return (
            f"the run was started on version {started_on} and this worker runs {running}: keep "
            'the old code path behind ctx.patched("<change-id>") until the runs started before '
            f"the change have finished (History's version={started_on} filter lists them)."
        )
    check = "check that your workflow is deterministic (no random, clock or I/O outside steps)"
    if started_on and started_on == running:
        return f"the run was started on this same version ({running}), so {check}."
    return f"{check} and that a deploy did not reorder its steps."


class CopiedStepChanged(WorkflowError):
    """A step copied into a retry from a later step gets other input from the retry's code."""

    def __init__(self, run_id: str, step_id: str) -> None:
        super().__init__(
            f"Run {run_id}: {step_id} was copied from the run this one retries, but with this "
            "input the code passes it different input, so its copied output would be wrong; "
            f"retry from {step_id} or an earlier step so it runs again."
        )
        self.step_id = step_id

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "step_id": self.step_id}


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


class AgentFailed(WorkflowError):
    """An agent's conversation ended in an error; carries the conversation up to it."""

    def __init__(self, cause: BaseException, messages: list[dict[str, Any]]) -> None:
        super().__init__(str(cause))
        self.cause, self.messages = cause, messages

    def to_dict(self) -> dict[str, Any]:
        cause = self.cause
        base = (
            cause.to_dict()
            if isinstance(cause, WorkflowError)
            else {"type": type(cause).__name__, "message": str(cause)}
        )
        return {
            **base,
            "traceback": "".join(traceback.format_exception(cause)),
            "conversation": self.messages,
        }


class NonRetryableError(KeystrokeError):
    """Raise from an action to fail its step at once, without further attempts."""


class MissingModelKey(NonRetryableError):
    """A model's provider needs an API key that is not set; retrying would not help."""


class ModelRefused(NonRetryableError):
    """The provider refused the request in a way a retry would not fix."""


class WorkspaceError(NonRetryableError, WorkflowError):
    """A workspace refused what a step asked: a path outside it, a limit passed, a file lost."""


class SandboxUnavailable(NonRetryableError):
    """bubblewrap cannot run here, so a command is refused rather than run unsandboxed."""


class CommandTimeout(NonRetryableError):
    """A sandboxed command ran past its time limit and was killed."""


class StepTimeout(KeystrokeError):
    """One attempt of an action ran past the action's timeout."""


class ProjectError(KeystrokeError):
    """The project directory is missing or one of its modules failed to import."""


class ServiceError(KeystrokeError):
    """A request the services refuse, changing nothing; the API answers ``status`` with ``type`` and
    the message in its error envelope.
    """

    status = 400
    type = "bad_request"


class Unauthorized(ServiceError):
    """No valid token or signature; nothing is created."""

    status, type = 401, "not_authenticated"


class HookNotFound(ServiceError):
    """No hook has that token."""

    status, type = 404, "not_found"


class UnknownTrigger(ServiceError, LookupError):
    """No trigger or attachment has this slug."""

    status, type = 404, "not_found"


class UnknownFromStep(ServiceError):
    """A retry's from_step that is not a step the run can be retried from."""

    status, type = 400, "invalid_request"


class InvalidSecret(ServiceError):
    """A webhook secret not of the form its sender's scheme signs with."""

    status, type = 400, "invalid_request"


class InvalidState(ServiceError):
    """The run's status does not allow the change."""

    status, type = 409, "conflict"


class NotHere(ServiceError):
    """Schedules and polls fire in the default organization only: elsewhere they cannot be
    switched.
    """

    status, type = 409, "conflict"


class IdempotencyKeyReused(ServiceError):
    """An Idempotency-Key that already started a different run."""

    status, type = 422, "idempotency_key_reused"


class TriggerFailed(ServiceError):
    """A filter or transform raised, or made input the target refuses: nothing was started."""

    status, type = 422, "trigger_failed"


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
