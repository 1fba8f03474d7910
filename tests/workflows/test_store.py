"""The store's guarded writes: leases, step records, wake-ups, timers and the sweeper."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone

from history.models import MetricIncrement, Organization, Run, Step
from workflows import store
from workflows.engine import StepRecord, Suspended, SuspendItem
from workflows.origins import RunOrigin
from workflows.registry import registry

from ..factories import api_origin, make_run

pytestmark = pytest.mark.django_db


def claimed(run_pk: int, owner: str) -> Run:
    claim = store.claim_run(run_pk, owner)
    assert claim is not None, "the run could be claimed"
    return claim.run


def test_a_run_is_claimed_by_one_worker_at_a_time(org: Organization) -> None:
    run = make_run(org)
    first = claimed(run.pk, "worker-a")
    assert first.status == "running" and first.lease_owner == "worker-a"
    assert store.claim_run(run.pk, "worker-b") is None
    Run.objects.filter(pk=run.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))
    taken = claimed(run.pk, "worker-b")
    assert taken.lease_owner == "worker-b"
    assert taken.started_at == first.started_at, "the first start time is kept"


def test_only_the_lease_holder_records_steps(org: Organization) -> None:
    run = claimed(make_run(org).pk, "worker-a")
    record = StepRecord(0, "step:greet#0", "action", "success", output={"m": 1})
    assert not store.record_step(run.pk, "worker-b", record)
    assert store.record_step(run.pk, "worker-a", record)
    Run.objects.filter(pk=run.pk).update(status="canceled")
    assert not store.record_step(
        run.pk, "worker-a", StepRecord(1, "step:greet#1", "action", "success")
    )
    assert list(Step.objects.values_list("step_id", flat=True)) == ["step:greet#0"]


def test_a_settled_step_is_never_overwritten(org: Organization) -> None:
    run = claimed(make_run(org).pk, "worker-a")
    hook = StepRecord(0, "step:approval#0", "hook", "waiting", token="t0k3n")
    assert store.record_step(run.pk, "worker-a", hook)
    Step.objects.filter(token="t0k3n").update(status="success", output={"approved": True})
    timed_out = StepRecord(0, "step:approval#0", "hook", "failed", error={"type": "HookTimeout"})
    assert not store.record_step(run.pk, "worker-a", timed_out), "a resume that won the race stands"
    assert Step.objects.get().output == {"approved": True}


def test_a_run_woken_while_suspending_goes_back_to_the_queue(
    org: Organization, django_capture_on_commit_callbacks
) -> None:
    run = claimed(make_run(org).pk, "worker-a")
    store.wake_run_txn(run.pk)  # a hook resume lands while the worker is still running
    outcome = Suspended([SuspendItem("hook", "step:approval#0")])
    with django_capture_on_commit_callbacks() as sent:
        store.conclude_run(run, "worker-a", outcome, store.PassEnd(steps=0))
    run.refresh_from_db()
    assert run.status == "queued" and run.lease_owner == ""
    assert len(sent) == 1


def test_a_suspended_run_records_its_status_and_timer(org: Organization) -> None:
    run = claimed(make_run(org).pk, "worker-a")
    wake = timezone.now() + timedelta(hours=1)
    store.conclude_run(
        run,
        "worker-a",
        Suspended([SuspendItem("sleep", "step:sleep#0", wake)], wake),
        store.PassEnd(steps=1),
    )
    run.refresh_from_db()
    assert (run.status, run.wake_at, run.lease_owner) == ("sleeping", wake, "")


def test_timers_wake_only_due_runs(org: Organization, django_capture_on_commit_callbacks) -> None:
    now = timezone.now()
    due = make_run(org, status="sleeping", wake_at=now - timedelta(seconds=1))
    later = make_run(org, status="waiting", wake_at=now + timedelta(hours=1))
    assert store.due_run_ids(now) == [due.pk]
    with django_capture_on_commit_callbacks() as sent:
        assert store.fire_timer(due.pk, now)
        assert not store.fire_timer(later.pk, now)
    assert len(sent) == 1
    assert Run.objects.get(pk=due.pk).status == "queued"


def test_a_run_the_store_queues_is_sent_as_the_execute_run_task_once_committed(
    org: Organization, django_capture_on_commit_callbacks
) -> None:
    from workflows import queue, tasks

    now = timezone.now()
    due = make_run(org, status="sleeping", wake_at=now - timedelta(seconds=1))
    with mock.patch.object(tasks.execute_run, "apply_async") as sent:
        with django_capture_on_commit_callbacks() as callbacks:
            assert store.fire_timer(due.pk, now)
        assert not sent.called, "nothing is sent before the commit"
        for callback in callbacks:
            callback()
    sent.assert_called_once_with(args=[due.pk], retry_policy=queue.PUBLISH_RETRY)


def test_the_sweeper_requeues_dead_and_lost_runs_only(org: Organization) -> None:
    now = timezone.now()
    dead = make_run(
        org, status="running", lease_owner="gone", lease_expires_at=now - timedelta(seconds=1)
    )
    lost = make_run(org, status="queued", enqueued_at=now - timedelta(minutes=5))
    make_run(
        org, status="running", lease_owner="alive", lease_expires_at=now + timedelta(seconds=30)
    )
    make_run(org, status="queued", enqueued_at=now)
    make_run(org, status="success", enqueued_at=now - timedelta(minutes=5))
    assert set(store.stale_run_ids(now)) == {dead.pk, lost.pk}
    assert store.requeue_stale(dead.pk, now)
    dead.refresh_from_db()
    assert (dead.status, dead.lease_owner) == ("queued", "")


def test_a_finished_parent_cancels_its_active_children(org: Organization) -> None:
    from workflows.engine import Failed

    parent = claimed(make_run(org).pk, "worker-a")
    child = make_run(org, status="waiting", parent=parent)
    grandchild = make_run(
        org, status="running", parent=child, lease_owner="w", lease_expires_at=timezone.now()
    )
    done = make_run(org, status="success", parent=parent)
    store.conclude_run(
        parent,
        "worker-a",
        Failed({"type": "X", "message": "m", "step_id": None}),
        store.PassEnd(steps=0, children=True),
    )
    statuses = dict(Run.objects.values_list("pk", "status"))
    assert (statuses[child.pk], statuses[grandchild.pk], statuses[done.pk]) == (
        "canceled",
        "canceled",
        "success",
    )


def test_a_runs_raw_trigger_value_is_stored_without_secrets(org: Organization) -> None:
    from workflows.registry import registry

    raw = {
        "item": {"subject": "refund", "password": "swordfish"},
        "source": "imap://bot:hunter2hunter2@mail/INBOX",
    }
    with transaction.atomic():
        origin = RunOrigin.trigger(org.pk, "poll", "inbox", "inbox:greeting", raw, "trigger:inbox")
        run = store.create_run_txn(registry.workflow("greeting"), {"name": "Ada"}, origin)
    run.refresh_from_db()
    assert run.trigger_raw == {
        "item": {"subject": "refund", "password": "[redacted]"},
        "source": "imap://bot:[redacted]@mail/INBOX",
    }


def test_a_new_run_numbers_its_steps_per_branch_and_an_old_one_as_it_was_recorded(
    org: Organization,
) -> None:
    with transaction.atomic():
        run = store.create_run_txn(registry.workflow("greeting"), {"name": "Ada"}, api_origin(org))
    assert run.step_numbering == Run.StepNumbering.PER_BRANCH
    assert store.DatabaseEventLog(run, "worker-1", {}).per_branch_numbering
    old = make_run(org, step_numbering=Run.StepNumbering.ONE_COUNTER)
    assert not store.DatabaseEventLog(old, "worker-1", {}).per_branch_numbering


def test_a_run_started_after_the_default_project_was_removed_brings_it_back(
    org: Organization,
) -> None:
    org.default_project().delete()
    with transaction.atomic():
        run = store.create_run_txn(registry.workflow("greeting"), {"name": "Ada"}, api_origin(org))
    assert run.project == org.default_project()


def test_a_failed_run_is_stored_with_its_fingerprint_and_a_retry_clears_it(
    org: Organization,
) -> None:
    from history.fingerprints import error_fingerprint
    from workflows.engine import Failed

    runs = [claimed(make_run(org).pk, "worker-a") for _ in range(2)]
    for seconds, run in zip((30, 31), runs, strict=True):
        error = {"type": "Timeout", "message": f"CRM timed out after {seconds}s", "step_id": None}
        store.conclude_run(run, "worker-a", Failed(error), store.PassEnd(steps=0))
        run.refresh_from_db()
    assert runs[0].error_fingerprint == runs[1].error_fingerprint
    assert runs[0].error_fingerprint == error_fingerprint("Timeout", "CRM timed out after 1s")
    with transaction.atomic():
        assert store.retry_run_txn(runs[0], None)
    runs[0].refresh_from_db()
    assert (runs[0].status, runs[0].error, runs[0].error_fingerprint) == ("queued", None, "")


def _pass_trace() -> store.Trace:
    now = timezone.now()
    span = {
        "trace_id": "a" * 32,
        "span_id": "b" * 16,
        "parent_span_id": "",
        "name": "workflow greeting",
        "kind": "internal",
        "status": "ok",
        "started_at": now,
        "ended_at": now,
        "attributes": {"keystroke.attempt": 1},
    }
    log = {
        "span_id": "b" * 16,
        "created_at": now,
        "level": "INFO",
        "logger": "app",
        "message": "hello",
        "attributes": {},
    }
    return store.Trace([span], [log])


def test_a_finished_pass_writes_its_run_duration_counts_and_trace_together(
    org: Organization,
) -> None:
    from workflows.engine import Failed
    from workflows.metrics import StepTimings

    timings = StepTimings()
    now = timezone.now()
    timings.observe(
        StepRecord(0, "step:greet#0", "action", "success", started_at=now, finished_at=now)
    )
    run = claimed(make_run(org).pk, "worker-a")
    error = {"type": "Boom", "message": "no", "step_id": None}
    store.conclude_run(
        run, "worker-a", Failed(error), store.PassEnd(3, False, _pass_trace(), timings)
    )
    run.refresh_from_db()
    assert (run.status, run.error, run.step_count, run.lease_owner) == ("failed", error, 3, "")
    assert Run.objects.filter(pk=run.pk, output__isnull=True).exists(), "SQL NULL, not JSON null"
    assert run.usage_items.get().kind == "duration"
    assert (run.spans.get().name, run.log_records.get().message) == ("workflow greeting", "hello")
    names = [count[0] for row in MetricIncrement.objects.all() for count in row.counts]
    assert "runs_finished" in names and "step_duration_seconds_sum" in names


def test_a_pass_that_lost_its_run_keeps_its_trace_and_step_counts_only(org: Organization) -> None:
    from workflows.engine import Completed
    from workflows.metrics import StepTimings

    timings = StepTimings()
    now = timezone.now()
    timings.observe(
        StepRecord(0, "step:greet#0", "action", "success", started_at=now, finished_at=now)
    )
    run = claimed(make_run(org).pk, "worker-a")
    Run.objects.filter(pk=run.pk).update(status="canceled", lease_owner="")
    store.conclude_run(
        run, "worker-a", Completed({"ok": 1}), store.PassEnd(1, False, _pass_trace(), timings)
    )
    run.refresh_from_db()
    assert (run.status, run.output) == ("canceled", None)
    assert not run.usage_items.exists()
    assert run.spans.count() == 1 and run.log_records.count() == 1
    names = [count[0] for row in MetricIncrement.objects.all() for count in row.counts]
    assert "runs_finished" not in names and "step_duration_seconds_sum" in names
