"""While PostgreSQL is away the API answers 503 in its error envelope, and pages a short 503
page.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ..services import PrivatePostgres, free_port
from ..support import ROOT, Process, http_status, wait_for

KEYSTROKE = str(Path(sys.executable).with_name("keystroke"))


@pytest.fixture
def postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres().start()
    yield server
    server.close()


@pytest.fixture
def web(tmp_path: Path, postgres: PrivatePostgres) -> Iterator[httpx.Client]:
    env = {
        "DATABASE_URL": postgres.createdb("keystroke_outage"),
        "DJANGO_SETTINGS_MODULE": "tests.settings",
    }
    manage = [sys.executable, str(ROOT / "manage.py")]
    full_env = {**os.environ, **env}
    subprocess.run([*manage, "migrate", "--noinput"], env=full_env, check=True, capture_output=True)
    made = subprocess.run(
        [*manage, "create_api_key", "--name", "outage"],
        env=full_env,
        check=True,
        capture_output=True,
        text=True,
    )
    key = made.stdout.strip().splitlines()[-1]
    port = free_port()
    process = Process(
        "web",
        [KEYSTROKE, "serve", "--port", str(port), "--workers", "1"],
        tmp_path,
        ready_text="Booting worker",
        env=env,
    )
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}
        ) as client:
            wait_for(lambda: http_status(client, "/api/runs") == 200, 30, what="the web server")
            yield client
    finally:
        process.stop()


def test_the_api_answers_503_in_its_envelope_while_the_database_is_down(
    web: httpx.Client, postgres: PrivatePostgres
) -> None:
    postgres.stop()
    for path in ("/api/runs", "/api/workflows"):
        response = web.get(path)
        assert response.status_code == 503, (path, response.text[:300])
        assert response.headers["Content-Type"].startswith("application/json")
        error = response.json()["error"]
        assert error["type"] == "database_unavailable" and "database" in error["message"]
        assert response.headers["Retry-After"]
    started = web.post("/api/workflows/greeting", json={"name": "Ada"})
    assert started.status_code == 503 and started.json()["error"]["type"] == "database_unavailable"
    # A session cookie makes the page look the session up, in the database.
    page = web.get("/history/", headers={"Accept": "text/html", "Cookie": "sessionid=" + "x" * 32})
    assert page.status_code == 503 and "text/html" in page.headers["Content-Type"]
    assert "database" in page.text and "Traceback" not in page.text

    postgres.start()
    wait_for(lambda: http_status(web, "/api/runs") == 200, 30, what="the API to answer again")
