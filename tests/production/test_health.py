"""Probes: /healthz answers without the database, /readyz names what it cannot reach."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.db import connection
from django.test import Client

from history.health import check_broker, check_database

from ..services import free_port
from ..support import Process, http_status, wait_for

KEYSTROKE = str(Path(sys.executable).with_name("keystroke"))


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers: a broker or database that hangs."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


# -- /healthz ------------------------------------------------------------------------------------


def test_it_answers_healthz_without_touching_the_database(client: Client) -> None:
    # No django_db mark: any query would raise.
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


# -- /readyz -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_is_ready_when_postgres_and_redis_answer(
    client: Client, django_assert_num_queries: Any
) -> None:
    # no session, no sign-in: the check has a connection of its own
    with django_assert_num_queries(0):
        response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"database": "ok", "broker": "ok"}


@pytest.mark.django_db
def test_it_answers_503_naming_the_broker_when_it_refuses(client: Client, settings: Any) -> None:
    settings.CELERY_BROKER_URL = f"redis://:s3cret-pw@127.0.0.1:{free_port()}/0"
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["database"] == "ok"
    assert body["broker"].startswith("error: ") and "refused" in body["broker"]
    assert b"s3cret-pw" not in response.content


@pytest.mark.parametrize(
    "url",
    ["redis://127.0.0.1:6379/0", "amqp://guest:guest@127.0.0.1:5672//", "filesystem://"],
    ids=["redis", "rabbitmq", "filesystem"],
)
def test_it_reaches_each_kind_of_broker(url: str, tmp_path: Path) -> None:
    options = (
        {"data_folder_in": str(tmp_path), "data_folder_out": str(tmp_path)}
        if url == "filesystem://"
        else {}
    )
    assert check_broker(url, options) == "ok"


def test_it_reports_a_broker_that_refuses_without_its_password() -> None:
    closed = free_port()
    for url in (
        f"redis://:s3cret-pw@127.0.0.1:{closed}/0",
        f"amqp://guest:s3cret-pw@127.0.0.1:{closed}//",
    ):
        result = check_broker(url, {})
        assert result.startswith("error: ") and "refused" in result, result
        assert "s3cret-pw" not in result
    refused = check_broker("amqp://guest:s3cret-pw@127.0.0.1:5672//", {})
    assert (
        refused.startswith("error: ") and "ACCESS_REFUSED" in refused and "s3cret-pw" not in refused
    )


def test_it_reports_a_filesystem_broker_whose_folder_is_missing(tmp_path: Path) -> None:
    missing = str(tmp_path / "gone")
    result = check_broker("filesystem://", {"data_folder_in": missing, "data_folder_out": missing})
    assert result.startswith("error: ") and "gone" in result


def test_it_gives_up_quickly_on_a_broker_that_never_answers(silent_port: int) -> None:
    for url in (
        f"redis://127.0.0.1:{silent_port}/0",
        f"amqp://guest:guest@127.0.0.1:{silent_port}//",
    ):
        began = time.monotonic()
        result = check_broker(url, {})
        assert time.monotonic() - began < 5, url
        assert result.startswith("error: "), result


@pytest.mark.django_db
def test_it_reports_a_database_that_refuses_without_its_password() -> None:
    unreachable = connection.copy()
    unreachable.settings_dict.update(PORT=free_port(), PASSWORD="s3cret-pw")
    result = check_database(unreachable)
    assert result.startswith("error: ") and "refused" in result, result
    assert "s3cret-pw" not in result
    assert check_database(connection) == "ok"


@pytest.mark.django_db
def test_it_gives_up_quickly_on_a_database_that_never_answers(silent_port: int) -> None:
    silent = connection.copy()
    silent.settings_dict["PORT"] = silent_port
    began = time.monotonic()
    result = check_database(silent)
    assert time.monotonic() - began < 5
    assert result.startswith("error: ") and "timeout" in result, result


def test_it_names_the_database_and_the_broker_on_a_server_that_reaches_neither(
    tmp_path: Path,
) -> None:
    closed, port = free_port(), free_port()
    env = {
        "DATABASE_URL": f"postgres://postgres:s3cret-pw@127.0.0.1:{closed}/keystroke",
        "CELERY_BROKER_URL": f"redis://:s3cret-pw@127.0.0.1:{closed}/0",
    }
    process = Process(
        "web",
        [KEYSTROKE, "serve", "--port", str(port), "--workers", "1"],
        tmp_path,
        "Booting worker",
        env,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as web:
            wait_for(lambda: http_status(web, "/healthz") == 200, 30, what="the web server")
            assert web.get("/healthz").json() == {"status": "ok"}
            ready = web.get("/readyz")
    finally:
        process.stop()
    assert ready.status_code == 503
    body = ready.json()
    assert body["database"].startswith("error: ") and body["broker"].startswith("error: ")
    assert "s3cret-pw" not in ready.text
