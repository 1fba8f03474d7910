"""The engine's errors as the API answers them, in History's envelope."""

from __future__ import annotations

from pydantic import ValidationError
from rest_framework.response import Response

from history.errors import error_response

from ..errors import field_errors


def invalid_input(exc: ValidationError, what: str) -> Response:
    fields = field_errors(exc)
    summary = "; ".join(f"{name}: {', '.join(msgs)}" for name, msgs in fields.items())
    return error_response(
        400, f"Invalid {what}: {summary}", {"fields": fields}, type="invalid_input"
    )
