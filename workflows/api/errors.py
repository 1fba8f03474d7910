"""The engine's errors as the API answers them, in History's envelope: mapped here, once, so the
views call the services and let them raise.

This is the project's DRF exception handler (REST_FRAMEWORK["EXCEPTION_HANDLER"]); what it does
not know it hands to History's, which answers DRF's and Django's own errors. Views that answer
HTML (the hook page's form, History's buttons) word their errors themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import ValidationError
from rest_framework.response import Response
from rest_framework.views import set_rollback

from history.errors import api_exception_handler as history_exception_handler
from history.errors import error_response, field_errors

from ..errors import ServiceError


class InvalidInput(ServiceError):
    """Input a model refused, and what the input was ("input for greeting")."""

    status, type = 400, "invalid_input"

    def __init__(self, what: str, error: ValidationError) -> None:
        super().__init__(f"Invalid {what}")
        self.what, self.error = what, error


@contextmanager
def validating(what: str) -> Iterator[None]:
    """Input a model refuses inside the block answers 400 "Invalid <what>: …", field by field."""
    try:
        yield
    except ValidationError as exc:
        raise InvalidInput(what, exc) from exc


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if not isinstance(exc, ServiceError):
        return history_exception_handler(exc, context)
    set_rollback()  # a refused request changes nothing, also under ATOMIC_REQUESTS
    if isinstance(exc, InvalidInput):
        return _invalid_input(exc.error, exc.what)
    return error_response(exc.status, str(exc), type=exc.type)


def _invalid_input(exc: ValidationError, what: str) -> Response:
    fields = field_errors(exc)
    summary = "; ".join(f"{name}: {', '.join(msgs)}" for name, msgs in fields.items())
    return error_response(
        400, f"Invalid {what}: {summary}", {"fields": fields}, type="invalid_input"
    )
