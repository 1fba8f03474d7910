"""History's errors, and the API's error envelope: ``{"error": {"type", "message", "details"}}``."""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import BadRequest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from pydantic import ValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response

from .middleware import MACHINE_PATHS


class HistoryError(Exception):
    """Base of the errors History raises on purpose (the API ones below are DRF's kind)."""


class BadJSON(HistoryError, ValueError):
    """The body is not JSON this server accepts; the message says why, for the client."""


class TooLarge(HistoryError, ValueError):
    """The body is longer than KEYSTROKE_MAX_PAYLOAD."""


class BadCursor(HistoryError, ValueError):
    """The ``before`` parameter is not a cursor this page made."""


class Refused(HistoryError):
    """The run's state does not allow the action: a finished run cannot be canceled."""


def field_errors(exc: ValidationError) -> dict[str, list[str]]:
    """A validation error's messages by field, as the API and the forms show them."""
    fields: dict[str, list[str]] = {}
    for error in exc.errors(include_url=False):
        name = ".".join(str(part) for part in error["loc"]) or "(body)"
        fields.setdefault(name, []).append(error["msg"])
    return fields


class BadInput(HistoryError):
    """Input the workflow refused, with its messages by field."""

    def __init__(self, fields: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{name}: {', '.join(m)}" for name, m in fields.items()))
        self.fields = fields


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The run is not in a state that allows this."
    default_code = "conflict"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


_TYPES = {
    400: "invalid_request",
    401: "not_authenticated",
    403: "permission_denied",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    429: "throttled",
}


def error_response(
    status_code: int, message: str, details: Any = None, type: str | None = None
) -> Response:
    body = {
        "error": {
            "type": type or _TYPES.get(status_code, "error"),
            "message": message,
            "details": details or {},
        }
    }
    return Response(body, status=status_code)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, BadRequest):
        exc = exceptions.ParseError(str(exc))
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    # Imported here: rest_framework.views loads the API settings, whose parser imports this module.
    from rest_framework.views import exception_handler

    response = exception_handler(exc, context)
    if response is None or not isinstance(exc, exceptions.APIException):
        return response
    detail = exc.detail
    if isinstance(detail, (dict, list)):
        message, details = "Some fields are invalid; see details.", detail
    else:
        message, details = str(detail), {}
    envelope = error_response(response.status_code, message, details)
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            envelope[header] = response[header]
    return envelope


RETRY_AFTER_SECONDS = 5


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's last resort for an unhandled exception (``handler500``).

    While the database is away the answer is 503 with Retry-After, so clients and load
    balancers retry instead of reporting a bug. It renders without the request context,
    because that would reach for the session, and so the database, again.
    """
    unavailable = isinstance(sys.exc_info()[1], (OperationalError, InterfaceError))
    status_code = 503 if unavailable else 500
    if request.path.startswith(MACHINE_PATHS):
        if unavailable:
            message, kind = (
                "The database cannot be reached; try again in a few seconds.",
                "database_unavailable",
            )
        else:
            message, kind = (
                "The server failed to answer this request; the error is in its log.",
                "server_error",
            )
        response: HttpResponse = JsonResponse(
            {"error": {"type": kind, "message": message, "details": {}}}, status=status_code
        )
    else:
        page = render_to_string("errors/server_error.html", {"unavailable": unavailable})
        response = HttpResponse(page, status=status_code)
    if unavailable:
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
