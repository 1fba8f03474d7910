"""A thin HTTP client for the REST API that turns every failure into a CliError."""

from __future__ import annotations

import time
from typing import Any

import click
import httpx

from .config import Target
from .errors import CliError

TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# A start is retried this many times after a failure that may be passing (no answer, 502-504),
# always with the same Idempotency-Key, so a retry never starts a second run.
START_RETRIES = (0.5, 1.0, 2.0)
RETRYABLE_STATUS = {502, 503, 504}


class Client:
    def __init__(self, target: Target) -> None:
        self.base_url = target.url
        headers = {"X-Keystroke-Client": "cli", "Accept": "application/json"}
        if target.token:
            headers["Authorization"] = f"Bearer {target.token}"
        self._http = httpx.Client(base_url=target.url, headers=headers, timeout=TIMEOUT)

    def get(self, path: str, params: Any = None) -> Any:
        return self.request("GET", path, params=params)

    def get_text(self, path: str, media_type: str, params: Any = None) -> str:
        """The body of a GET that answers text (errors are still the API's JSON envelope)."""
        try:
            response = self._http.get(path, params=params, headers={"Accept": media_type})
        except httpx.ConnectError:
            hint = "is the server running? (start it with keystroke dev)"
            raise CliError(f"cannot reach {self.base_url}: {hint}") from None
        except httpx.HTTPError as exc:
            raise CliError(f"GET {self.base_url}{path} failed: {exc}") from None
        if response.is_error:
            raise error_from(response)
        return response.text

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, json=body if body is not None else {})

    def start(self, path: str, body: Any, idempotency_key: str) -> Any:
        """POST a run start, retried with its Idempotency-Key while the server is briefly away."""
        headers = {"Idempotency-Key": idempotency_key}
        for delay in START_RETRIES:
            try:
                response = self._http.post(path, json=body, headers=headers)
            except httpx.TransportError as exc:
                reason = f"no answer ({type(exc).__name__})"
            else:
                if response.status_code not in RETRYABLE_STATUS:
                    return self._answer(response)
                reason = f"{response.status_code} {response.reason_phrase}"
            click.echo(
                f"start: {reason}; retrying in {delay:g} s with the same Idempotency-Key", err=True
            )
            time.sleep(delay)
        return self.request("POST", path, json=body, headers=headers)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.ConnectError:
            hint = "is the server running? (start it with keystroke dev)"
            raise CliError(f"cannot reach {self.base_url}: {hint}") from None
        except httpx.HTTPError as exc:
            raise CliError(f"{method} {self.base_url}{path} failed: {exc}") from None
        return self._answer(response)

    def _answer(self, response: httpx.Response) -> Any:
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
    """The server's own message when the body is the API's error envelope, else the HTTP reason."""
    try:
        error = response.json()["error"]
        message = _with_field_errors(str(error["message"]), error.get("details"))
        details = {"type": error.get("type"), "details": error.get("details")}
    except (ValueError, KeyError, TypeError):
        request = response.request
        message = (
            f"{request.method} {request.url} answered {response.status_code} "
            f"{response.reason_phrase}"
        )
        details = {"body": response.text[:500]}
    return CliError(message, response.status_code, details)


def _with_field_errors(message: str, details: Any) -> str:
    """DRF's validation errors say "see details": put them on the one line instead."""
    if isinstance(details, list) and details:
        summary = "; ".join(map(str, details))
    elif (
        isinstance(details, dict) and details and all(isinstance(v, list) for v in details.values())
    ):
        summary = "; ".join(f"{name}: {' '.join(map(str, msgs))}" for name, msgs in details.items())
    else:
        return message
    return f"{message.removesuffix('; see details.')}: {summary}"
