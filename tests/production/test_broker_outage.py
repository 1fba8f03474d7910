"""A broker outage delays runs; it never fails the request that created them.

The web server runs as in production (gunicorn) against a private Redis that is down while
the requests are made; once it is back, the sweeper sends the messages that could not be sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from django.utils import timezone

from history.models import ApiKey, Organization, Run, Step, parse_run_id
from history.models.accounts import Role

from ..conftest import Stack
from ..services import PrivateRedis, free_port
from ..support import http_status, start_web, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def redis() -> Iterator[PrivateRedis]:
    server = PrivateRedis()
    yield server
    server.close()


@pytest.fixture
def web(tmp_path: Path, redis: PrivateRedis, stack: Stack) -> Iterator[httpx.Client]:
    port = free_port()
    process = start_web(tmp_path, port, CELERY_BROKER_URL=redis.url)
    stack.processes.append(process)
    _, key = ApiKey.issue(Organization.objects.default(), "outage", Role.ADMIN)
    with httpx.Client(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as c:
        wait_for(lambda: http_status(c, "/api/workflows") == 200, 30, what="the web server")
        yield c


def _run(response: httpx.Response) -> Run:
    assert response.status_code < 300, response.text
    return Run.objects.get(uid=parse_run_id(response.json()["run_id"]))


def _finished_run(org: Organization, status: str, marker: str) -> Run:
    now = timezone.now()
    fields = {"status": status, "created_at": now, "queued_at": now, "finished_at": now}
    return Run.objects.create(
        organization=org,
        project=org.default_project(),
        slug="three-steps",
        **fields,
        input={"marker": marker},
    )


def test_every_request_that_creates_a_run_succeeds_while_the_broker_is_down(
    web: httpx.Client, redis: PrivateRedis, stack: Stack, org: Organization, tmp_path: Path
) -> None:
    started = _run(web.post("/api/workflows/three-steps", json={"marker": str(tmp_path / "start")}))
    prompted = _run(
        web.post("/api/agents/lead-researcher/prompt", json={"message": "Research ada@acme.io"})
    )
    hook_url = web.get("/api/triggers/signup").json()["url"]
    event = {"type": "signup", "name": "Ada", "email": "ada@acme.io"}
    webhook = _run(web.post(httpx.URL(hook_url).raw_path.decode(), json=event))
    failed = _finished_run(org, Run.Status.FAILED, str(tmp_path / "retry"))
    retry = web.post(f"/api/runs/{failed.public_id}/retry")
    assert retry.status_code == 200, retry.text
    rerun = web.post(f"/api/runs/{failed.public_id}/rerun")
    assert rerun.status_code == 201, rerun.text
    rerun_run = Run.objects.get(uid=parse_run_id(rerun.json()["id"]))
    waiting = Run.objects.create(
        organization=org,
        project=org.default_project(),
        slug="approval",
        status=Run.Status.WAITING,
        input={"marker": str(tmp_path / "hook")},
    )
    Step.objects.create(
        run=waiting,
        position=0,
        step_id="step:approval#0",
        kind="hook",
        status="waiting",
        token="outage-token",
        input={},
    )
    resumed = web.post("/hooks/outage-token", json={"approved": True})
    assert resumed.status_code == 200, resumed.text

    created = [started, prompted, webhook, failed, rerun_run, waiting]
    for run in created:
        run.refresh_from_db()
        assert run.status == Run.Status.QUEUED, f"{run.slug} is {run.status}"

    redis.start()  # the broker is back: the sweeper sends what could not be sent
    stack.worker(CELERY_BROKER_URL=redis.url)
    stack.beat(CELERY_BROKER_URL=redis.url)
    for run in created:
        wait_for(
            lambda run=run: Run.objects.get(pk=run.pk).status != Run.Status.QUEUED,
            60,
            what=f"run {run.slug} to be picked up",
        )
