"""The web server ``keystroke dev`` starts is production's gunicorn, with development's options.

runserver delayed every kept-alive response by about 40 ms (small writes without TCP_NODELAY
meeting the client's delayed ACK); production's server is the one the CLI and API are fast on.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from workflows.cli.dev import web_server

from ..services import free_port
from ..support import Process, http_status, wait_for
from .conftest import issue_key

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_serves_the_api_and_static_files_through_gunicorn_with_an_access_log(
    tmp_path: Path,
) -> None:
    port = free_port()
    key = issue_key()
    web = Process("dev-web", web_server("127.0.0.1", port), tmp_path, env={"DEBUG": "1"})
    try:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as client:
            wait_for(lambda: http_status(client, "/healthz"), 60, what="the dev web server")
            first, second = (client.get("/api/runs", params={"limit": 1}) for _ in range(2))
            css = client.get("/static/history/css/base.css")
            wait_for(lambda: "base.css" in web.output(), 10, what="the access log line")
    finally:
        web.stop()
    assert first.status_code == second.status_code == 200, second.text
    assert second.headers["Server"] == "gunicorn", "production's server, not runserver"
    assert css.status_code == 200 and css.headers["Content-Type"].startswith("text/css")
    output = web.output()
    assert '"GET /api/runs?limit=1 HTTP/1.1" 200' in output, output
    assert "Booting worker" not in output, "gunicorn's start-up lines stay out of the dev console"
