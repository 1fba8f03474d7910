"""Prometheus metrics at /metrics: what is counted, in how many statements, with real workers."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import psycopg
import pytest
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel
from rest_framework.test import APIClient

from history.models import Organization, Run
from workflows import store, tasks
from workflows.registry import registry
from workflows.runner import resume_run
from workflows.sdk import Context, define_action, define_workflow

from ..conftest import Stack
from ..factories import api_origin, make_run
from ..support import ROOT, wait_for

KEYSTROKE = str(Path(sys.executable).with_name("keystroke"))


class Tick(BaseModel):
    n: int


tick = define_action(
    slug="metrics-tick", input=Tick, output=Tick, run=lambda input: input, retries=0
)


async def _ten_steps(input: Tick, ctx: Context) -> Tick:
    for n in range(10):
        await tick.run(Tick(n=n))
    return Tick(n=10)


ten_steps = define_workflow(slug="metrics-ten-steps", input=Tick, output=Tick, run=_ten_steps)


# -- helpers -------------------------------------------------------------------------------------


def scrape(client: Client, **headers: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """GET /metrics and parse it as Prometheus does: {(sample name, sorted labels): value}."""
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


def start(api: APIClient, slug: str, input: dict[str, Any]) -> Run:
    response = api.post(f"/api/workflows/{slug}", input, format="json")
    assert response.status_code == 202, response.content
    return Run.objects.get(uid=response.json()["run_id"].removeprefix("run_"))


def status_becomes(run: Run, *statuses: str, timeout: float = 30) -> Run:
    def check() -> Run | None:
        run.refresh_from_db()
        return run if run.status in statuses else None

    return wait_for(
        check, timeout, what=f"{run.public_id} to become {'/'.join(statuses)} (is {run.status})"
    )


class Statements:
    """Every statement sent to PostgreSQL: Django's and the store's prepared ones alike."""

    def __init__(self) -> None:
        self.sql: list[str] = []
        original = psycopg.Cursor.execute

        def execute(cursor: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
            self.sql.append(str(query))
            return original(cursor, query, *args, **kwargs)

        self._patch = mock.patch.object(psycopg.Cursor, "execute", execute)

    def __enter__(self) -> Statements:
        self._patch.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._patch.stop()

    def touching(self, table: str) -> list[str]:
        return [sql for sql in self.sql if table in sql]


# -- /metrics --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_it_serves_every_series_in_the_prometheus_text_format(client: Client) -> None:
    samples = scrape(client)
    for name in (
        "keystroke_runs_queued",
        "keystroke_runs_queued_oldest_age_seconds",
        "keystroke_active_leases",
        "keystroke_due_timers",
        "keystroke_sweeper_requeues_total",
    ):
        assert value(samples, name) == 0, name
    openmetrics = client.get(
        "/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )
    assert openmetrics["Content-Type"].startswith("application/openmetrics-text")
    assert openmetrics.content.endswith(b"# EOF\n")


@pytest.mark.django_db
def test_it_requires_the_metrics_token_when_one_is_set(client: Client, settings: Any) -> None:
    settings.KEYSTROKE_METRICS_TOKEN = "metrics-t0ken"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert (
        client.get("/metrics", headers={"Authorization": "Basic metrics-t0ken"}).status_code == 401
    )
    denied = client.get("/metrics", headers={"Authorization": "Bearer metrics-t0kenx"})
    assert denied.status_code == 401 and denied["WWW-Authenticate"].startswith("Bearer")
    assert scrape(client, Authorization="Bearer metrics-t0ken")


# -- /metrics: what the database holds -----------------------------------------------------------


@pytest.mark.django_db
def test_it_counts_queued_runs_and_the_age_of_the_oldest(client: Client, org: Organization) -> None:
    now = timezone.now()
    make_run(org, status="queued", queued_at=now - timedelta(seconds=90))
    make_run(org, status="queued", queued_at=now - timedelta(seconds=5))
    make_run(org, status="success", queued_at=now - timedelta(hours=1))
    samples = scrape(client)
    assert value(samples, "keystroke_runs_queued") == 2
    assert 90 <= value(samples, "keystroke_runs_queued_oldest_age_seconds") < 120


@pytest.mark.django_db
def test_it_counts_due_timers_and_live_leases(client: Client, org: Organization) -> None:
    now = timezone.now()
    make_run(org, status="sleeping", wake_at=now - timedelta(seconds=3))
    # a hook timeout that has come
    make_run(org, status="waiting", wake_at=now - timedelta(seconds=1))
    make_run(org, status="sleeping", wake_at=now + timedelta(hours=1))
    make_run(org, status="running", lease_owner="w1", lease_expires_at=now + timedelta(seconds=30))
    make_run(org, status="running", lease_owner="w2", lease_expires_at=now - timedelta(seconds=1))
    samples = scrape(client)
    assert value(samples, "keystroke_due_timers") == 2
    assert value(samples, "keystroke_active_leases") == 1


@pytest.mark.django_db(transaction=True)  # the task closes a connection left in a transaction
def test_it_counts_a_sweeper_requeue_after_a_lease_lapses(
    client: Client, org: Organization
) -> None:
    lapsed = timezone.now() - timedelta(seconds=1)
    run = make_run(org, status="running", lease_owner="dead-worker", lease_expires_at=lapsed)
    with mock.patch("workflows.queue.enqueue_on_commit"):
        assert tasks.sweep_runs() == 1
    run.refresh_from_db()
    assert run.status == "queued"
    assert value(scrape(client), "keystroke_sweeper_requeues_total") == 1


@pytest.mark.django_db(transaction=True)
def test_it_reads_a_scrape_in_two_queries(
    client: Client, org: Organization, django_assert_num_queries: Any
) -> None:
    for n in range(3):
        with mock.patch("workflows.queue.enqueue_on_commit"), transaction.atomic():
            store.create_run_txn(ten_steps, {"n": n}, api_origin(org))
    store.fold_counts()  # some counts folded into totals, some not yet
    make_run(
        org,
        status="running",
        lease_owner="dead",
        lease_expires_at=timezone.now() - timedelta(seconds=1),
    )
    with mock.patch("workflows.queue.enqueue_on_commit"):
        tasks.sweep_runs()
    with django_assert_num_queries(2):  # the gauges, then every counter and histogram bucket
        samples = scrape(client)
    assert value(samples, "keystroke_runs_started_total", workflow="metrics-ten-steps") == 3


@pytest.mark.django_db
def test_its_gauges_are_read_through_indexes(org: Organization) -> None:
    from history.metrics import GAUGES_SQL

    with transaction.atomic(), connection.cursor() as cursor:
        # a plan with a scan would mean no index fits
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {GAUGES_SQL}", [timezone.now(), timezone.now()])
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Seq Scan on history_run" not in plan, plan
    for index in ("history_run_queued", "history_run_active", "history_run_wake"):
        assert index in plan, plan


# -- /metrics: what the engine counts ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_it_counts_a_run_and_its_steps_in_one_statement_per_pass(
    client: Client, org: Organization
) -> None:
    connection.ensure_connection()
    with (
        Statements() as created,
        mock.patch("workflows.queue.enqueue_on_commit"),
        transaction.atomic(),
    ):
        run = store.create_run_txn(ten_steps, {"n": 0}, api_origin(org))
    with Statements() as executed:
        assert resume_run(run.pk) == "completed"
    assert len(created.touching("history_metricincrement")) == 1
    assert len(executed.touching("history_metricincrement")) == 1, (
        "one statement per pass, none per step"
    )
    print(
        f"statements: creating the run {len(created.sql)}, its one pass of ten steps "
        f"{len(executed.sql)}"
    )

    samples = scrape(client)
    assert value(samples, "keystroke_runs_started_total", workflow="metrics-ten-steps") == 1
    assert (
        value(
            samples, "keystroke_runs_finished_total", workflow="metrics-ten-steps", status="success"
        )
        == 1
    )
    assert value(samples, "keystroke_step_duration_seconds_count", kind="action") == 10
    assert value(samples, "keystroke_step_duration_seconds_bucket", kind="action", le="+Inf") == 10


@pytest.mark.django_db(transaction=True)
def test_it_keeps_its_counts_when_they_are_folded(client: Client, org: Organization) -> None:
    with mock.patch("workflows.queue.enqueue_on_commit"), transaction.atomic():
        run = store.create_run_txn(ten_steps, {"n": 0}, api_origin(org))
    resume_run(run.pk)
    before = scrape(client)
    store.fold_counts()
    assert scrape(client) == before
    with mock.patch("workflows.queue.enqueue_on_commit"), transaction.atomic():
        store.create_run_txn(ten_steps, {"n": 1}, api_origin(org))
    store.fold_counts()
    assert value(scrape(client), "keystroke_runs_started_total", workflow="metrics-ten-steps") == 2


@pytest.mark.django_db(transaction=True)
def test_it_counts_a_canceled_run_as_finished(client: Client, org: Organization) -> None:
    with mock.patch("workflows.queue.enqueue_on_commit"), transaction.atomic():
        run = store.create_run_txn(registry.workflow("greeting"), {"name": "Ada"}, api_origin(org))
        assert store.cancel_run_txn(run.pk)
    samples = scrape(client)
    assert (
        value(samples, "keystroke_runs_finished_total", workflow="greeting", status="canceled") == 1
    )


def test_it_counts_a_run_on_a_real_worker(
    stack: Stack, api: APIClient, client: Client, tmp_path: Path
) -> None:
    stack.worker()
    done = start(api, "three-steps", {"marker": str(tmp_path / "done")})
    failed = start(
        api, "three-steps", {"marker": str(tmp_path / "failed"), "flag": str(tmp_path / "no-flag")}
    )
    sleeping = start(api, "three-steps", {"marker": str(tmp_path / "sleeping"), "sleep_seconds": 1})
    status_becomes(done, "success")
    status_becomes(failed, "failed")
    status_becomes(sleeping, "sleeping")
    # no beat yet to wake it
    time.sleep(max(0.0, (sleeping.wake_at - timezone.now()).total_seconds()) + 0.1)

    samples = scrape(client)
    assert value(samples, "keystroke_runs_started_total", workflow="three-steps") == 3
    assert (
        value(samples, "keystroke_runs_finished_total", workflow="three-steps", status="success")
        == 1
    )
    assert (
        value(samples, "keystroke_runs_finished_total", workflow="three-steps", status="failed")
        == 1
    )
    assert value(samples, "keystroke_due_timers") == 1
    executed = (
        done.steps.count() + failed.steps.count() + sleeping.steps.exclude(kind="sleep").count()
    )
    assert executed == 3 + 2 + 2
    assert value(samples, "keystroke_step_duration_seconds_count", kind="action") == executed
    assert value(samples, "keystroke_step_duration_seconds_sum", kind="action") > 0

    stack.beat()
    status_becomes(sleeping, "success")
    samples = scrape(client)
    assert (
        value(samples, "keystroke_runs_finished_total", workflow="three-steps", status="success")
        == 2
    )
    assert value(samples, "keystroke_step_duration_seconds_count", kind="action") == executed + 1
    assert value(samples, "keystroke_due_timers") == 0


SQLITE_SCRIPT = """
from datetime import timedelta
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.utils import timezone
from prometheus_client.parser import text_string_to_metric_families
from history.access import Actor
from history.models import Organization, Run
from workflows import store
from workflows.origins import RunOrigin
from workflows.registry import registry
from workflows.runner import resume_run

call_command("migrate", verbosity=0)
org = Organization.objects.default()


def start(name):
    with transaction.atomic():
        origin = RunOrigin.api(Actor(org, "operator", "sqlite"))
        return store.create_run_txn(registry.workflow("greeting"), {"name": name}, origin)


def scrape():
    text = Client().get("/metrics").content.decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) for s in f.samples}


done, canceled, queued = start("Ada"), start("Bob"), start("Cy")
assert resume_run(done.pk) == "completed"
with transaction.atomic():
    store.cancel_run_txn(canceled.pk)
Run.objects.filter(pk=queued.pk).update(queued_at=timezone.now() - timedelta(seconds=30))
ready = Client().get("/readyz")
ok = {"database": "ok", "broker": "ok"}
assert ready.status_code == 200 and ready.json() == ok, ready.content
before = scrape()
assert store.fold_counts() == 5, "three starts, one pass, one cancel"
after = scrape()
age = ("keystroke_runs_queued_oldest_age_seconds", ())
assert 30 <= after.pop(age) < 60 and before.pop(age)
assert before == after, (before, after)
assert after[("keystroke_runs_started_total", (("workflow", "greeting"),))] == 3
finished = "keystroke_runs_finished_total"
assert after[(finished, (("status", "canceled"), ("workflow", "greeting")))] == 1
assert after[(finished, (("status", "success"), ("workflow", "greeting")))] == 1
assert after[("keystroke_step_duration_seconds_count", (("kind", "action"),))] == 1
assert after[("keystroke_runs_queued", ())] == 1
print("sqlite ok")
"""


def test_it_works_on_sqlite_and_the_filesystem_broker(tmp_path: Path) -> None:
    """``keystroke dev`` runs on SQLite and kombu's filesystem broker: the same probes and
    counts.
    """
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "KEYSTROKE_HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "keystroke_site.settings",
        "DEBUG": "1",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{SQLITE_SCRIPT}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "sqlite ok" in done.stdout
