"""Errors as they are stored: type, message and traceback, secrets redacted, NUL spelled out."""

from __future__ import annotations

import traceback
from typing import Any

from ..errors import WorkflowError
from ..redact import redact, redact_text


def stored_text(value: str) -> str:
    """Error text as it is stored: secrets redacted, NUL spelled out (text columns refuse it)."""
    return redact_text(value).replace("\x00", "\\x00")


def redacted(detail: dict[str, Any]) -> dict[str, Any]:
    """Every field redacted (a response or headers may carry secrets) but the ones that name things,
    which a secret-looking slug would otherwise lose.
    """
    return {k: v if k in ("type", "step_id") else redact(v) for k, v in detail.items()}


def exception_detail(exc: BaseException) -> dict[str, Any]:
    """One failed attempt's ``{type, message, traceback}``."""
    return {
        "type": type(exc).__name__,
        "message": stored_text(str(exc)),
        "traceback": stored_text("".join(traceback.format_exception(exc))),
    }


def error_dict(exc: BaseException) -> dict[str, Any]:
    """The ``error`` a failed run records: type, message, traceback and failing step."""
    detail: dict[str, Any] = (
        exc.to_dict() if isinstance(exc, WorkflowError) else {"type": type(exc).__name__}
    )
    detail["message"] = stored_text(str(exc))
    detail.setdefault("step_id", None)
    attempts = detail.get("attempts") or []
    # A step failure is best explained by the step's own traceback, not the workflow's.
    detail["traceback"] = (
        attempts[-1].get("traceback")
        if attempts
        else stored_text("".join(traceback.format_exception(exc)))
    )
    return redacted(detail)
