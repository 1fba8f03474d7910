"""A run driven pass by pass through the worker's code: its Trace tab timeline shows the retry
backoff, the sleep, the hook and the child run at the times the steps recorded."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.utils import timezone

from history.models import Organization, Run
from history.timeline import page
from workflows.runner import resume_run
from workflows.runs import resume_hook
from workflows.store.wakeups import fire_timer

from ..factories import member

pytestmark = pytest.mark.django_db(transaction=True)


def drive(run: Run, flag: Path) -> None:
    """Run passes until the run ends: make the flag after the first failure, fire timers as they
    come due, answer the hook, and run the child."""
    for _ in range(20):
        run.refresh_from_db()
        if run.is_terminal:
            return
        if run.status == "queued":
            resume_run(run.pk)
            flag.touch()
        elif run.status == "sleeping":
            # The backoff and the sleep are short: wait them out, as the timer would.
            time.sleep(max(0, ((run.wake_at or timezone.now()) - timezone.now()).total_seconds()))
            assert fire_timer(run.pk, timezone.now())
        elif hook := run.steps.filter(kind="hook", status="waiting").first():
            resume_hook(hook.token, {"approved": True, "note": "ok"}, resumed_by="test")
        else:
            child = Run.objects.get(parent=run)
            resume_run(child.pk)
    raise AssertionError(f"run still {run.status}")


def test_a_real_run_shows_each_wait_at_its_time(org: Organization, tmp_path: Path) -> None:
    flag = tmp_path / "flag"
    run = Run.objects.create(
        organization=org,
        project=org.default_project(),
        slug="investigated",
        input={"marker": str(tmp_path / "m"), "flag": str(flag)},
    )
    drive(run, flag)
    run.refresh_from_db()
    assert run.status == "success", run.error
    rows = [p.row for p in page(run).rows]
    steps = {s.kind: s for s in run.steps.all()}
    kinds = [r.kind for r in rows]
    assert kinds.count("pass") >= 4 and "span" not in kinds
    backoff, sleep, hook, child = (
        next(r for r in rows if r.kind == k) for k in ("backoff", "sleep", "hook", "child")
    )
    lookup = steps["action"]
    first, second = lookup.attempts
    assert (backoff.started_at.isoformat(), backoff.ended_at.isoformat()) == (
        first["finished_at"],
        second["started_at"],
    )
    assert backoff.wakes_at == backoff.ended_at and backoff.attempt == 2
    attempts = [r for r in rows if r.kind == "action" and r.name == "lookup"]
    assert [(a.attempt, a.status) for a in attempts] == [(1, "error"), (2, "unset")]
    assert (sleep.started_at, sleep.wakes_at) == (steps["sleep"].started_at, steps["sleep"].wake_at)
    assert sleep.ended_at == steps["sleep"].finished_at
    assert (hook.started_at, hook.ended_at) == (steps["hook"].started_at, steps["hook"].finished_at)
    assert hook.wakes_at == steps["hook"].wake_at, "the hook's timeout"
    assert (child.started_at, child.ended_at) == (
        steps["workflow"].started_at,
        steps["workflow"].finished_at,
    )
    assert child.child_run == steps["workflow"].child_run.public_id
    assert [r.started_at for r in rows] == sorted(r.started_at for r in rows)

    alice = member(org, name="alice")
    nested = alice.get(f"/history/{child.child_run}/trace/rows/?nest=2").content.decode()
    assert '<span class="span-name">investigated-child</span>' in nested
    assert '<span class="span-name">lookup</span>' in nested
    logs = alice.get(f"/history/{run.public_id}/trace/logs/").content.decode()
    assert "looking up company" in logs and "framework chatter" not in logs
    chatty = alice.get(f"/history/{run.public_id}/trace/logs/?level=info").content.decode()
    assert "framework chatter" in chatty, "the worker stores framework INFO records"
