"""The retention prune: expired finished runs go with every row that belongs to them, whole trees
only.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pydantic import BaseModel

from history.models import AuditEvent, Organization, Run, Step, TriggerDelivery, TriggerState
from history.workspace_files import StorageBlobs, WorkspaceFileMissing
from workflows import retention, store, tasks
from workflows.definitions import Workflow
from workflows.registry import registry

from .retention_support import DAY, census, make_run, rows_of, with_rows

pytestmark = pytest.mark.django_db

POLICY = "success=30d,failed=90d,canceled=30d"


@pytest.fixture(autouse=True)
def policy(settings: Any) -> None:
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "RETENTION": POLICY}


class Empty(BaseModel):
    pass


async def _nothing(input: Empty, ctx: Any) -> Empty:
    return Empty()


@pytest.fixture
def targets() -> Iterator[Any]:
    """Register workflows with their own retention; the registry is restored afterwards."""
    added: list[str] = []

    def add(slug: str, keep: Any) -> Workflow:
        workflow = Workflow(slug=slug, input=Empty, output=Empty, run=_nothing, retention=keep)
        registry.targets[slug] = workflow
        added.append(slug)
        return workflow

    yield add
    for slug in added:
        registry.targets.pop(slug, None)


def test_it_deletes_expired_runs_with_every_row_that_belongs_to_them(org: Organization) -> None:
    expired = with_rows(make_run(org, age=31 * DAY))
    kept = with_rows(make_run(org, age=29 * DAY))
    rerun = make_run(org, age=DAY, rerun_of=expired)
    TriggerState.objects.update_or_create(
        organization=org, key="signup", defaults={"last_run": expired}
    )
    before, gone = census(), rows_of(expired)
    assert all(gone.values())

    pruned = retention.prune()

    after = census()
    assert {name: before[name] - after[name] for name in gone} == gone
    assert not any(rows_of(expired).values())
    assert rows_of(kept) == {
        "runs": 1,
        "steps": 2,
        "usage": 2,
        "spans": 1,
        "logs": 1,
        "deliveries": 1,
    }
    rerun.refresh_from_db()
    assert rerun.rerun_of_id is None, "a rerun outlives the run it repeated"
    assert TriggerState.objects.get(key="signup").last_run_id is None
    assert pruned.total == 1 and pruned.runs == {(org.pk, "greeting", "success"): 1}


@pytest.mark.parametrize("status", ["queued", "running", "sleeping", "waiting"])
def test_it_keeps_runs_that_have_not_finished_whatever_their_age(
    org: Organization, status: str
) -> None:
    # even with a finish time, an active run is not finished
    old = make_run(org, status=status, age=3650 * DAY)
    Run.objects.filter(pk=old.pk).update(created_at=old.finished_at)
    retention.prune()
    assert Run.objects.filter(pk=old.pk).exists()


def test_it_counts_from_the_finish_time_not_the_creation(org: Organization) -> None:
    run = make_run(org, age=DAY)
    Run.objects.filter(pk=run.pk).update(created_at=run.finished_at - 365 * DAY)
    retention.prune()
    assert Run.objects.filter(pk=run.pk).exists()


def test_it_keeps_forever_a_status_the_policy_leaves_out(org: Organization, settings: Any) -> None:
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "RETENTION": "success=30d"}
    failed = make_run(org, status="failed", age=3650 * DAY)
    success = make_run(org, age=31 * DAY)
    retention.prune()
    assert Run.objects.filter(pk=failed.pk).exists()
    assert not Run.objects.filter(pk=success.pk).exists()


def test_it_keeps_everything_when_no_retention_is_set(org: Organization, settings: Any) -> None:
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "RETENTION": ""}
    make_run(org, age=3650 * DAY)
    assert retention.prune().total == 0
    assert Run.objects.count() == 1


def test_it_keeps_a_child_whose_parent_is_kept(org: Organization) -> None:
    parent = make_run(org, slug="signup-pipeline", age=DAY)
    child = make_run(org, age=60 * DAY, parent=parent)
    retention.prune()
    assert Run.objects.filter(pk__in=[parent.pk, child.pk]).count() == 2


def test_it_deletes_a_parent_and_its_expired_children_together(org: Organization) -> None:
    parent = with_rows(make_run(org, slug="signup-pipeline", status="failed", age=100 * DAY))
    child = with_rows(make_run(org, age=100 * DAY, parent=parent))
    grandchild = with_rows(make_run(org, status="canceled", age=100 * DAY, parent=child))
    Step.objects.filter(run=parent, position=0).update(kind="workflow", child_run=child)
    kept = make_run(org, age=DAY)
    with CaptureQueriesContext(connection) as captured:
        pruned = retention.prune()
    assert set(Run.objects.values_list("pk", flat=True)) == {kept.pk}
    assert not any(
        rows_of(run)[name] for run in (parent, child, grandchild) for name in ("steps", "usage")
    )
    run_deletes = [q["sql"] for q in captured if q["sql"].startswith("DELETE FROM history_run")]
    assert len(run_deletes) == 1, "the tree goes in one statement, in one transaction"
    assert pruned.total == 3 and pruned.rows[org.pk, "steps"] == 6


def test_it_keeps_a_whole_tree_with_a_run_that_has_not_finished(org: Organization) -> None:
    parent = make_run(org, slug="signup-pipeline", status="failed", age=100 * DAY)
    child = make_run(org, age=100 * DAY, parent=parent)
    grandchild = make_run(org, status="waiting", parent=child)
    other = make_run(org, age=100 * DAY)
    retention.prune()
    assert Run.objects.filter(pk__in=[parent.pk, child.pk, grandchild.pk]).count() == 3
    assert not Run.objects.filter(pk=other.pk).exists()


def test_it_lets_a_workflow_override_the_global_policy_status_by_status(
    org: Organization, targets: Any
) -> None:
    targets("keep-long", "success=365d")
    targets("keep-short", {"success": "1d"})
    targets("keep-all", "forever")
    runs = {
        "keep-long success 40d": (make_run(org, slug="keep-long", age=40 * DAY), True),
        "keep-long failed 100d (global)": (
            make_run(org, slug="keep-long", status="failed", age=100 * DAY),
            False,
        ),
        "keep-short success 2d": (make_run(org, slug="keep-short", age=2 * DAY), False),
        "keep-short success 1h": (make_run(org, slug="keep-short", age=timedelta(hours=1)), True),
        "keep-all failed 10y": (
            make_run(org, slug="keep-all", status="failed", age=3650 * DAY),
            True,
        ),
        "greeting success 40d": (make_run(org, age=40 * DAY), False),
    }
    retention.prune()
    kept = set(Run.objects.values_list("pk", flat=True))
    assert {label: run.pk in kept for label, (run, _) in runs.items()} == {
        label: stays for label, (_, stays) in runs.items()
    }


def test_it_keeps_a_parent_while_a_child_is_kept_longer(org: Organization, targets: Any) -> None:
    targets("audit-trail", "forever")
    parent = make_run(org, slug="signup-pipeline", age=100 * DAY)
    child = make_run(org, slug="audit-trail", age=100 * DAY, parent=parent)
    retention.prune()
    assert Run.objects.filter(pk__in=[parent.pk, child.pk]).count() == 2


def test_it_deletes_in_batches_of_a_bounded_number_of_runs(org: Organization) -> None:
    for _ in range(5):
        with_rows(make_run(org, age=40 * DAY))
    with CaptureQueriesContext(connection) as captured:
        pruned = retention.prune(batch_size=2)
    run_deletes = [q["sql"] for q in captured if q["sql"].startswith("DELETE FROM history_run")]
    assert len(run_deletes) == 3, "2 + 2 + 1 runs"
    assert pruned.total == 5 and pruned.batches == 3
    assert Run.objects.count() == 0


def _statements_of_one_batch(org: Organization, runs: int, steps: int) -> int:
    for _ in range(runs):
        run = with_rows(make_run(org, age=40 * DAY))
        for position in range(2, steps):
            step_id = f"step:s#{position}"
            Step.objects.create(
                run=run, position=position, step_id=step_id, kind="action", status="success"
            )
    with CaptureQueriesContext(connection) as captured:
        pruned = retention.prune(batch_size=50)
    assert pruned.batches == 1 and pruned.total == runs
    return len(captured)


def test_it_spends_the_same_statements_on_a_batch_whatever_it_holds(org: Organization) -> None:
    small = _statements_of_one_batch(org, runs=1, steps=2)
    large = _statements_of_one_batch(org, runs=10, steps=30)
    assert small == large
    # The delivery sweep (a savepoint pair and one DELETE); the one batch: a savepoint pair, the
    # roots, their descendants, four child tables, the deliveries, three unlinks and the runs; one
    # empty look for each of the other rules (failed, canceled); the audit (organizations, record).
    assert small == 3 + (2 + 11) + 2 * 3 + 2


@contextmanager
def locked_elsewhere(run: Run) -> Iterator[None]:
    """Another transaction holds ``run``'s row lock meanwhile, as a second beat or a worker
    would.
    """
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with transaction.atomic():
            list(Run.objects.select_for_update().filter(pk=run.pk))
            holding.set()
            release.wait(30)
        connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert holding.wait(30)
        yield
    finally:
        release.set()
        thread.join()


def test_it_skips_runs_another_prune_holds(transactional_db: None, org: Organization) -> None:
    locked = make_run(org, age=40 * DAY)
    free = make_run(org, age=41 * DAY)
    with locked_elsewhere(locked):  # a second beat mid-batch
        # would wait for the lock, and time out, without SKIP LOCKED
        pruned = retention.prune(seconds=20)
    assert pruned.total == 1
    assert set(Run.objects.values_list("pk", flat=True)) == {locked.pk}
    assert not Run.objects.filter(pk=free.pk).exists()


def test_it_stops_when_its_time_is_up(org: Organization) -> None:
    for _ in range(3):
        make_run(org, age=40 * DAY)
    pruned = retention.prune(seconds=0, batch_size=1)
    assert not pruned.finished and pruned.total == 0
    assert Run.objects.count() == 3


def test_it_deletes_deliveries_past_their_idempotency_window(
    org: Organization, settings: Any
) -> None:
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "RETENTION": "success=1h"}
    skipped = {"ok": True, "skipped": True, "reason": "the filter did not match"}
    old = TriggerDelivery.objects.create(
        organization=org, trigger="signup", key="old", created_at=_ago(8 * DAY)
    )
    api = TriggerDelivery.objects.create(
        organization=org,
        trigger="(api)",
        key="api-old",
        created_at=_ago(8 * DAY),
        response={"run_id": "run_" + "0" * 32},
    )
    recent = TriggerDelivery.objects.create(
        organization=org, trigger="signup", key="recent", created_at=_ago(6 * DAY), response=skipped
    )
    run_gone = with_rows(make_run(org, age=2 * DAY), delivered_ago=2 * DAY)
    run_gone_young = with_rows(make_run(org, age=2 * DAY), delivered_ago=timedelta(hours=3))
    pruned = retention.prune()
    assert not Run.objects.filter(pk__in=[run_gone.pk, run_gone_young.pk]).exists()
    left = set(TriggerDelivery.objects.values_list("key", flat=True))
    assert left == {recent.key, f"key-{run_gone_young.pk}"}, (
        "a key is answered for at least 24 hours"
    )
    assert old.key not in left and api.key not in left
    assert pruned.rows[org.pk, "deliveries"] == 3


def test_it_writes_one_audit_record_per_organization_that_lost_runs(org: Organization) -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")
    for _ in range(2):
        with_rows(make_run(org, age=40 * DAY))
    with_rows(make_run(acme, status="failed", age=100 * DAY))
    Organization.objects.create(slug="quiet", name="Quiet")
    retention.prune()
    events = {
        event.organization.slug: event for event in AuditEvent.objects.filter(action="runs.prune")
    }
    assert set(events) == {"default", "acme"}
    assert events["acme"].actor == "retention"
    assert events["default"].details == {
        "runs": 2,
        "by_workflow": {"greeting": {"success": 2}},
        "steps": 4,
        "usage": 4,
        "spans": 2,
        "logs": 2,
        "deliveries": 2,
    }
    retention.prune()
    assert AuditEvent.objects.filter(action="runs.prune").count() == 2, (
        "a prune that deleted nothing says nothing"
    )


@pytest.mark.django_db(transaction=True)  # the task closes a connection left inside a transaction
def test_it_runs_from_the_beat_task(org: Organization, settings: Any) -> None:
    run = make_run(org, age=40 * DAY)
    assert tasks.prune_runs() == 1
    assert not Run.objects.filter(pk=run.pk).exists()
    entry = settings.CELERY_BEAT_SCHEDULE["prune-runs"]
    assert entry["task"] == "workflows.tasks.prune_runs" and entry["schedule"] == timedelta(
        seconds=300
    )


def _ago(delta: timedelta) -> Any:
    return timezone.now() - delta


def test_a_prune_that_dies_half_way_keeps_the_audit_of_what_it_deleted(org: Organization) -> None:
    first, second = make_run(org, age=41 * DAY), make_run(org, age=40 * DAY)
    real = store.delete_runs_txn
    calls: list[int] = []

    def crash_on_the_second_batch(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the worker died here")
        return real(*args, **kwargs)

    with (
        mock.patch.object(store, "delete_runs_txn", crash_on_the_second_batch),
        pytest.raises(RuntimeError),
    ):
        retention.prune(batch_size=1)
    assert (
        not Run.objects.filter(pk=first.pk).exists() and Run.objects.filter(pk=second.pk).exists()
    )
    event = AuditEvent.objects.get(action="runs.prune")
    assert event.details["runs"] == 1 and event.actor == "retention"
    retention.prune(batch_size=1)
    assert not Run.objects.exists()
    assert [
        e.details["runs"] for e in AuditEvent.objects.filter(action="runs.prune").order_by("pk")
    ] == [1, 1]


def test_a_tree_whose_child_a_worker_holds_is_kept_without_waiting(
    transactional_db: None, org: Organization
) -> None:
    parent = make_run(org, age=40 * DAY)
    child = make_run(org, age=40 * DAY, parent=parent)
    # a worker concluding the child locks it, then would lock its parent
    with locked_elsewhere(child):
        # waiting for the child here could deadlock with that worker
        pruned = retention.prune(seconds=20)
    assert pruned.total == 0
    assert Run.objects.filter(pk__in=[parent.pk, child.pk]).count() == 2
    assert retention.prune().total == 2


def test_it_deletes_a_pruned_runs_workspace_once_the_delete_commits(
    org: Organization, django_capture_on_commit_callbacks: Any
) -> None:
    expired, kept = make_run(org, age=31 * DAY), make_run(org, age=29 * DAY)
    stored = {}
    for run in (expired, kept):
        blobs = StorageBlobs(run.uid.hex)
        stored[run.pk] = blobs.put_manifest({"notes.md": {"type": "dir"}})
        assert blobs.manifest(stored[run.pk])
    with django_capture_on_commit_callbacks(execute=False) as pending:
        retention.prune()
    assert StorageBlobs(expired.uid.hex).manifest(stored[expired.pk])  # not before the commit
    for callback in pending:
        callback()
    with pytest.raises(WorkspaceFileMissing, match="missing"):
        StorageBlobs(expired.uid.hex).manifest(stored[expired.pk])
    folder = Path(StorageBlobs(expired.uid.hex).storage.path(expired.uid.hex))
    assert not folder.exists()
    assert StorageBlobs(kept.uid.hex).manifest(stored[kept.pk])
