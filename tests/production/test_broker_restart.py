"""Workers ride out a broker restart: they reconnect and keep running runs, and never exit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from history.models import ApiKey, Organization, Run, parse_run_id
from history.models.accounts import Role

from ..conftest import Stack
from ..services import PrivateRabbitMQ, PrivateRedis, free_port
from ..support import http_status, start_web, wait_for
from ..workflows.test_worker import status_becomes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(params=["redis", "rabbitmq"])
def broker(request: pytest.FixtureRequest) -> Iterator[PrivateRedis | PrivateRabbitMQ]:
    server = (PrivateRedis if request.param == "redis" else PrivateRabbitMQ)().start()
    yield server
    server.close()


def start(web: httpx.Client, slug: str, input: dict) -> Run:
    response = web.post(f"/api/workflows/{slug}", json=input)
    assert response.status_code == 202, response.text
    return Run.objects.get(uid=parse_run_id(response.json()["run_id"]))


def test_a_worker_reconnects_after_its_broker_restarts_under_a_running_task(
    stack: Stack, broker: PrivateRedis | PrivateRabbitMQ, tmp_path: Path
) -> None:
    # A task in hand when the connection drops is what made Celery 5.7 workers exit on Redis:
    # its message is unacknowledged while the consumer cleans up and reconnects.
    env = {"CELERY_BROKER_URL": broker.url}
    worker = stack.worker(**env)
    stack.beat(**env)
    port = free_port()
    stack.processes.append(start_web(tmp_path, port, **env))  # the API publishes to the same broker
    _, key = ApiKey.issue(Organization.objects.default(), "restart", Role.OPERATOR)
    web = httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    wait_for(lambda: http_status(web, "/api/workflows") == 200, 30, what="the web server")
    during = start(
        web, "slow-steps", {"marker": str(tmp_path / "during"), "count": 6, "seconds": 0.5}
    )
    wait_for(lambda: (tmp_path / "during").exists(), 30, what="the slow run to start")
    broker.restart(down_seconds=2)

    status_becomes(during, "success", timeout=90)
    after = start(web, "three-steps", {"marker": str(tmp_path / "after")})
    status_becomes(after, "success", timeout=60)
    assert worker.proc.poll() is None, worker.output()[-3000:]
    assert "Unrecoverable error" not in worker.output()
