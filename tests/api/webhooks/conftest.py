"""Webhook deliveries to ``POST /triggers/<endpoint>`` and the trigger API, ``/api/triggers``.

The test project's webhook ``orders`` (payload ``Order{kind, marker}``, filter ``kind !=
"ignored"``) starts ``three-steps`` and ``approval``. Runs are only created and queued: no worker
is needed. What the modules here share: a delivery as a sender makes it, and the webhook's secret.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from rest_framework.test import APIClient

from history.models import Organization
from workflows.triggers.state import state
from workflows.triggers.webhooks import sign

from ...conftest import api_client

ORDER = {"kind": "paid", "marker": "order-1"}
ATTACHMENTS = {"orders:three-steps", "orders:approval"}


def body_of(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def deliver(
    body: bytes,
    *,
    token: str | None = None,
    signature: str | None = None,
    query: str = "",
    endpoint: str = "orders",
    content_type: str = "application/json",
    **headers: str,
) -> HttpResponse:
    """POST raw bytes to a webhook, as a sender with no API key or session would."""
    params = [f"token={token}"] if token is not None else []
    params += [query] if query else []
    url = f"/triggers/{endpoint}" + (f"?{'&'.join(params)}" if params else "")
    if signature is not None:
        headers["HTTP_X_KEYSTROKE_SIGNATURE"] = signature
    return Client().post(url, data=body, content_type=content_type, **headers)


def assert_error(response: HttpResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"type", "message", "details"} and error["message"]
    return error


def stale(secret: str, body: bytes) -> str:
    return sign(secret, body, int(time.time()) - 360)


def from_the_future(secret: str, body: bytes) -> str:
    return sign(secret, body, int(time.time()) + 360)


@pytest.fixture
def secret(org: Organization) -> str:
    return state(org, "orders").secret


@pytest.fixture
def admin(org: Organization) -> APIClient:
    return api_client(org, "admin")
