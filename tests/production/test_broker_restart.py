"""Workers ride out a broker restart: they reconnect and keep running runs, and never exit."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rest_framework.test import APIClient

from ..conftest import Stack
from ..services import PrivateRabbitMQ, PrivateRedis
from ..support import wait_for
from ..workflows.test_worker import start, status_becomes

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis().start()
    yield server
    server.close()


@pytest.fixture
def rabbitmq() -> Iterator[PrivateRabbitMQ]:
    server = PrivateRabbitMQ().start()
    yield server
    server.close()


def test_a_worker_reconnects_after_redis_restarts_under_a_running_task(
    stack: Stack, api: APIClient, redis: PrivateRedis, tmp_path: Path
) -> None:
    # A task in hand when the connection drops is what made Celery 5.7 workers exit: its
    # message is unacknowledged while the consumer cleans up and reconnects.
    env = {"CELERY_BROKER_URL": redis.url}
    worker = stack.worker(**env)
    stack.beat(**env)
    before = start(api, "three-steps", {"marker": str(tmp_path / "before")})
    status_becomes(before, "success")

    during = start(api, "slow-steps", {"marker": str(tmp_path / "during"), "count": 6, "seconds": 0.5})
    wait_for(lambda: (tmp_path / "during").exists(), 20, what="the slow run to start")
    redis.restart(down_seconds=2)

    status_becomes(during, "success", timeout=60)
    after = start(api, "three-steps", {"marker": str(tmp_path / "after")})
    status_becomes(after, "success", timeout=60)
    assert worker.proc.poll() is None, worker.output()[-3000:]
    assert "Unrecoverable error" not in worker.output()


def test_a_worker_reconnects_after_rabbitmq_restarts_under_a_running_task(
    stack: Stack, api: APIClient, rabbitmq: PrivateRabbitMQ, tmp_path: Path
) -> None:
    env = {"CELERY_BROKER_URL": rabbitmq.url}
    worker = stack.worker(**env)
    stack.beat(**env)
    during = start(api, "slow-steps", {"marker": str(tmp_path / "during"), "count": 6, "seconds": 0.5})
    wait_for(lambda: (tmp_path / "during").exists(), 30, what="the slow run to start")
    rabbitmq.restart(down_seconds=2)

    status_becomes(during, "success", timeout=90)
    after = start(api, "three-steps", {"marker": str(tmp_path / "after")})
    status_becomes(after, "success", timeout=60)
    assert worker.proc.poll() is None, worker.output()[-3000:]
    assert "Unrecoverable error" not in worker.output()
