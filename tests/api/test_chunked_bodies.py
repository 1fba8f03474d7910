"""A body sent without Content-Length (chunked) is counted while it is read: past
KEYSTROKE_MAX_PAYLOAD it answers 413 and creates nothing, like a declared one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from history.models import ApiKey, Organization, Run
from history.models.accounts import Role
from workflows.triggers.state import state

from ..conftest import Stack
from ..services import free_port
from ..support import http_status, start_web, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 64 * 1024


def chunks(payload: bytes, size: int = 8192) -> Iterator[bytes]:
    for start in range(0, len(payload), size):
        yield payload[start : start + size]


def test_chunked_bodies_past_the_limit_are_413_and_create_nothing(
    stack: Stack, tmp_path: Path
) -> None:
    port = free_port()
    stack.processes.append(start_web(tmp_path, port, KEYSTROKE_MAX_PAYLOAD=str(LIMIT)))
    org = Organization.objects.default()
    _, key = ApiKey.issue(org, "chunked", Role.OPERATOR)
    secret = state(org, "orders").secret
    big = b'{"name": "' + b"x" * (LIMIT * 2) + b'"}'
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers, timeout=30) as web:
        wait_for(lambda: http_status(web, "/api/workflows") == 200, 30, what="the web server")
        for path in ("/api/workflows/greeting", f"/triggers/orders?token={secret}"):
            response = web.post(path, content=chunks(big))
            assert response.request.headers.get("Transfer-Encoding") == "chunked"
            assert response.status_code == 413, (path, response.text[:300])
            assert "KEYSTROKE_MAX_PAYLOAD" in response.json()["error"]["message"]
        small = web.post("/api/workflows/greeting", content=chunks(b'{"name": "Ada"}'))
        assert small.status_code == 202, small.text
    assert list(Run.objects.values_list("input", flat=True)) == [{"name": "Ada"}]
