"""The production web server's own log lines (gunicorn's access and error logs) carry no secret or
hook token.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import httpx
import pytest

from ..services import free_port
from ..support import http_status, start_web, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_access_log_shows_requests_without_hook_tokens_or_webhook_secrets(
    tmp_path: Path,
) -> None:
    port = free_port()
    web = start_web(tmp_path, port, DEBUG="0", SECRET_KEY=secrets.token_urlsafe(50))
    token, secret = "ab12" * 10, "whsec-" + secrets.token_hex(12)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            wait_for(
                lambda: (http_status(client, "/healthz") or 500) < 500, 30, what="the web server"
            )
            client.get(f"/hooks/{token}")
            client.post(f"/triggers/orders?token={secret}", json={})
            client.get(
                "/healthz", headers={"Referer": f"https://mail.example/?link=/hooks/{token}"}
            )
            wait_for(
                lambda: web.output().count("/triggers/orders") >= 1, 10, what="the access log line"
            )
    finally:
        web.stop()
    output = web.output()
    assert "GET /hooks/[hidden from viewers]" in output and "token=[redacted]" in output
    assert token not in output and secret not in output
