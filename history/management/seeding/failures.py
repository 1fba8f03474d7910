"""How seeded steps fail: each step's realistic errors, an attempt's error with its traceback, and
the errors a step and its run end with.
"""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple

from .catalogue import Spec
from .rows import stamp
from .texts import dumps

CONNECTION = ("ConnectionError", "CRM timed out after 30s", True)
ERRORS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "lookup-company": (
        CONNECTION,
        ("HTTPStatusError", "Clearbit returned 429 Too Many Requests", True),
    ),
    "score-lead": (
        (
            "ValidationError",
            "1 validation error for Research\nscore\n  Input should be less than "
            "or equal to 100 [type=less_than_equal, input_value=140]",
            False,
        ),
    ),
    "post-brief": (
        ("SlackApiError", "The request to the Slack API failed: channel_not_found (#sales)", False),
    ),
    "post-summary": (("ConnectionError", "Slack timed out after 10s", True),),
    "greet": (("ValueError", "name must not be empty", False),),
    "create-ticket": (("HTTPStatusError", "Zendesk returned 503 Service Unavailable", True),),
    "notify-oncall": (
        ("HTTPStatusError", "PagerDuty returned 401 Unauthorized: check PAGERDUTY_TOKEN", False),
    ),
    "fetch-region-sales": (
        ("OperationalError", "canceling statement due to statement timeout", True),
    ),
    "write-summary-call": (
        ("OverloadedError", "Error code: 529 - {'type': 'overloaded_error'}", True),
    ),
    "list-overdue-invoices": (("RateLimitError", "Stripe: Request rate limit exceeded", True),),
    "send-reminder-email": (
        (
            "SMTPRecipientsRefused",
            "550 5.1.1 Recipient address rejected: mailbox unavailable",
            False,
        ),
    ),
    "update-crm": (CONNECTION,),
    "export-table": (
        ("StepTimeout", "ran longer than its timeout of 300s.", True),
        ("OperationalError", "could not serialize access due to concurrent update", True),
    ),
    "upload-manifest": (
        (
            "ClientError",
            "An error occurred (AccessDenied) when calling the PutObject operation: Access Denied",
            False,
        ),
    ),
    "search-knowledge-base": (
        ("ConnectionError", "Knowledge base search timed out after 5s", True),
    ),
    "list-tables": (
        (
            "OperationalError",
            'connection to server at "warehouse.internal" (10.0.3.12), port 5432 '
            "failed: timeout expired",
            True,
        ),
    ),
    "research-turn": (
        (
            "RateLimitError",
            "Error code: 429 - Rate limit reached for gpt-4o-mini on tokens per "
            "min (TPM): Limit 200000, Used 199342",
            True,
        ),
    ),
    "triage-turn": (("OverloadedError", "Error code: 529 - {'type': 'overloaded_error'}", True),),
}


def _traceback(spec: Spec, kind: str, message: str) -> str:
    if spec.kind == "model":
        where = '  File "/app/workflows/llm/model_call.py", line 61, in request\n'
        call = "    response = await self.model.request(*self.arguments)\n"
    else:
        module, function = spec.key.split("-")[-1], spec.key.replace("-", "_")
        where = f'  File "/app/examples/actions/{module}.py", line 42, in _{function}\n'
        call = "    response.raise_for_status()\n"
    return (
        "Traceback (most recent call last):\n"
        '  File "/app/workflows/engine/replay.py", line 410, in _attempt\n'
        f"    output = req.target.execute(req.input, step_ctx)\n{where}{call}{kind}: {message}\n"
    )


@cache
def attempt_error(spec: Spec, step_id: str, choice: int) -> tuple[dict[str, Any], bool]:
    """One failed attempt of a step: its ``{type, message, traceback}`` and whether it is
    retried.
    """
    options = ERRORS.get(spec.payload or spec.key, (CONNECTION,))
    kind, message, retryable = options[choice % len(options)]
    message = f"{step_id} {message}" if kind == "StepTimeout" else message
    return {
        "type": kind,
        "message": message,
        "traceback": _traceback(spec, kind, message),
    }, retryable


class Failure(NamedTuple):
    """How a step failed for good."""

    error: dict[str, Any]  # the step's error column
    traceback: str  # of the exception that started it

    @property
    def summary(self) -> str:
        return f"{self.error['type']}: {self.error['message']}"

    @property
    def step_error(self) -> str:
        return dumps(self.error) or ""

    @property
    def run_error(self) -> str:
        """The run's error column: the step's error and where it was raised."""
        return dumps({**self.error, "traceback": self.traceback}) or ""


@cache
def step_failure(
    spec: Spec, step_id: str, choice: int
) -> tuple[Failure, tuple[dict[str, Any], ...]]:
    """How a step fails for good, and every attempt's error."""
    error, retryable = attempt_error(spec, step_id, choice)
    attempts = (error,) * (3 if retryable else 1)
    summary = f"{error['type']}: {error['message']}"
    if retryable:
        kind, message = "RetriesExhausted", f"{step_id} failed after 3 attempts: {summary}"
    else:
        kind, message = "StepFailed", f"{step_id} failed: {summary}"
    step_error = {"type": kind, "message": message, "step_id": step_id, "attempts": list(attempts)}
    return Failure(step_error, error["traceback"]), attempts


def enclosing_failure(step_id: str, cause: Failure) -> Failure:
    """How an agent or prompt_llm step fails when a step inside it does."""
    error = {
        "type": "StepFailed",
        "message": f"{step_id} failed: {cause.summary}",
        "step_id": step_id,
        "attempts": [cause.error],
    }
    return Failure(error, cause.traceback)


def attempts_json(t0: float, t1: float, errors: tuple[dict[str, Any] | None, ...]) -> str:
    step = (t1 - t0) / len(errors)
    entries = [
        {
            "attempt": i + 1,
            "started_at": stamp(t0 + step * i),
            "finished_at": stamp(t0 + step * (i + 0.8)),
            "error": e,
        }
        for i, e in enumerate(errors)
    ]
    return dumps(entries) or "[]"
