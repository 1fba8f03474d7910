"""A thin HTTP client for the REST API (§6) that turns every failure into a CliError."""

from __future__ import annotations

from typing import Any

import httpx

from .config import Target
from .errors import CliError

TIMEOUT = httpx.Timeout(30.0, connect=5.0)


class Client:
    def __init__(self, target: Target) -> None:
        self.base_url = target.url
        headers = {"X-Keystroke-Client": "cli", "Accept": "application/json"}
        if target.token:
            headers["Authorization"] = f"Bearer {target.token}"
        self._http = httpx.Client(base_url=target.url, headers=headers, timeout=TIMEOUT)

    def get(self, path: str, params: Any = None) -> Any:
        return self.request("GET", path, params=params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, json=body if body is not None else {})

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.ConnectError:
            hint = "is the server running? (start it with keystroke dev)"
            raise CliError(f"cannot reach {self.base_url}: {hint}") from None
        except httpx.HTTPError as exc:
            raise CliError(f"{method} {self.base_url}{path} failed: {exc}") from None
        if response.is_error:
            raise error_from(response)
        return _json(response)


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise CliError(
            f"the server answered {response.status_code} with a body that is not JSON",
            response.status_code,
            {"body": response.text[:500]},
        ) from None


def error_from(response: httpx.Response) -> CliError:
    """The server's own message when the body is the §6 envelope, else the HTTP reason."""
    try:
        error = response.json()["error"]
        message = _with_field_errors(str(error["message"]), error.get("details"))
        details = {"type": error.get("type"), "details": error.get("details")}
    except (ValueError, KeyError, TypeError):
        request = response.request
        message = f"{request.method} {request.url} answered {response.status_code} {response.reason_phrase}"
        details = {"body": response.text[:500]}
    return CliError(message, response.status_code, details)


def _with_field_errors(message: str, details: Any) -> str:
    """DRF's validation errors say "see details": put them on the one line instead."""
    if isinstance(details, list) and details:
        summary = "; ".join(map(str, details))
    elif isinstance(details, dict) and details and all(isinstance(v, list) for v in details.values()):
        summary = "; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in details.items())
    else:
        return message
    return f"{message.removesuffix('; see details.')}: {summary}"
