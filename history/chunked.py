"""Request bodies sent in chunks, without Content-Length, under gunicorn.

Django reads a body only as far as its Content-Length, so a chunked body reached the views
as an empty one: a start with a chunked input ran on the workflow's defaults. gunicorn marks
such requests (``wsgi.input_terminated``); this reads their body, counting it against
KEYSTROKE_MAX_PAYLOAD as it goes, and hands Django an ordinary body with its length, or
answers 413 once the limit is passed.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any

from .jsonbody import max_payload
from .middleware import MACHINE_PATHS

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ChunkedBodies:
    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        if environ.get("wsgi.input_terminated") and not environ.get("CONTENT_LENGTH"):
            limit = max_payload()
            body = environ["wsgi.input"].read(limit + 1)
            if len(body) > limit:
                return _too_large(environ, start_response, limit)
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)


def _too_large(
    environ: dict[str, Any], start_response: Callable[..., Any], limit: int
) -> list[bytes]:
    message = f"The body is over {limit} bytes, the limit (KEYSTROKE_MAX_PAYLOAD)."
    if environ.get("PATH_INFO", "").startswith(MACHINE_PATHS):
        body = json.dumps(
            {"error": {"type": "payload_too_large", "message": message, "details": {}}}
        ).encode()
        content_type = "application/json"
    else:
        body, content_type = message.encode(), "text/plain; charset=utf-8"
    # The rest of the body is not read, so the connection cannot carry another request.
    headers = [
        ("Content-Type", content_type),
        ("Content-Length", str(len(body))),
        ("Connection", "close"),
    ]
    start_response("413 Request Entity Too Large", headers)
    return [body]
