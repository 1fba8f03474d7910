"""step_commits="batched": a pass's finished steps are committed together, at its durable points
and at the latest after 100 records or a second, and none of them is lost when the pass stops.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

import pytest
from django.db import connection

from history.models import Organization, Run
from workflows import runner, shutdown
from workflows.registry import Registry
from workflows.sdk import Context, define_action, define_workflow
from workflows.store import events

from ..factories import make_run
from .test_pass_statements import Count, Empty, Tick, one_pass

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="statement counts of PostgreSQL"),
]


@pytest.fixture
def workflows(scratch_registry: Registry) -> Iterator[None]:
    tick = define_action(slug="batch-tick", input=Tick, output=Tick, run=lambda t: t)

    def steps(count: int) -> object:
        async def flow(input: Empty, ctx: Context) -> Count:
            for n in range(count):
                await tick.run(Tick(n=n))
            return Count(steps=count)

        return flow

    async def then_sleep(input: Empty, ctx: Context) -> Count:
        await tick.run(Tick(n=0))
        await tick.run(Tick(n=1))
        await ctx.sleep("1h")
        return Count(steps=2)

    def stop_twice(input: Tick) -> Tick:
        # A second stop long after the first, while this step runs: the pass ends at once.
        shutdown._Process.drain_began = time.monotonic() - 2 * shutdown.SAME_STOP_SECONDS
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the signal interrupts the pass before this step returns
        return input

    stopper = define_action(slug="batch-stop", input=Tick, output=Tick, run=stop_twice)

    async def stopped(input: Empty, ctx: Context) -> Count:
        await tick.run(Tick(n=0))
        await tick.run(Tick(n=1))
        await stopper.run(Tick(n=2))
        return Count(steps=3)

    for slug, run in (
        ("batch-zero", steps(0)),
        ("batch-ten", steps(10)),
        ("batch-150", steps(150)),
        ("batch-sleep", then_sleep),
        ("batch-stopped", stopped),
    ):
        define_workflow(slug=slug, input=Empty, output=Count, run=run, step_commits="batched")
    yield


@pytest.mark.usefixtures("workflows")
def test_a_ten_step_pass_commits_its_steps_with_the_run_s_end(org: Organization) -> None:
    one_pass(org, "batch-zero")
    batched = one_pass(org, "batch-ten")
    assert batched.transactions == 2, "the claim, then the ten steps with the end"
    assert sum("INSERT INTO history_step" in sql for sql in batched.sql) == 10
    run = Run.objects.get(slug="batch-ten")
    assert list(run.steps.values_list("position", flat=True)) == list(range(10))
    assert _steps_per_transaction(run) == [10]


@pytest.mark.usefixtures("workflows")
def test_a_batch_is_committed_once_a_hundred_steps_wait(org: Organization) -> None:
    one_pass(org, "batch-zero")
    one_pass(org, "batch-150")
    run = Run.objects.get(slug="batch-150")
    assert run.steps.count() == 150
    assert _steps_per_transaction(run) == [100, 50]


@pytest.mark.usefixtures("workflows")
def test_a_batch_is_committed_when_its_oldest_step_has_waited_long_enough(
    org: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    one_pass(org, "batch-zero")
    monkeypatch.setattr(events, "BATCH_MOST_SECONDS", 0.0)  # every step has waited long enough
    one_pass(org, "batch-ten")
    assert _steps_per_transaction(Run.objects.get(slug="batch-ten")) == [1] * 10


@pytest.mark.usefixtures("workflows")
def test_the_batch_is_committed_before_the_sleep_that_follows_it(org: Organization) -> None:
    one_pass(org, "batch-sleep", ending="suspended")
    run = Run.objects.get(slug="batch-sleep")
    assert run.status == Run.Status.SLEEPING
    assert list(run.steps.values_list("step_id", "status")) == [
        ("step:batch-tick#0", "success"),
        ("step:batch-tick#1", "success"),
        ("step:sleep#0", "sleeping"),
    ]


@pytest.mark.usefixtures("workflows")
def test_a_pass_told_twice_to_stop_still_commits_the_steps_it_finished(
    org: Organization,
) -> None:
    run = make_run(org, "batch-stopped")
    previous = signal.signal(signal.SIGTERM, shutdown._on_sigterm)
    try:
        assert runner.resume_run(run.pk) == "interrupted: the worker was told again to stop"
    finally:
        signal.signal(signal.SIGTERM, previous)
        shutdown._Process.drain_began = None
        runner.draining.clear()
    assert list(run.steps.values_list("step_id", "status")) == [
        ("step:batch-tick#0", "success"),
        ("step:batch-tick#1", "success"),
    ]


def _steps_per_transaction(run: Run) -> list[int]:
    """How many of the run's steps each transaction wrote, in the order they were written."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM history_step WHERE run_id = %s "
            "GROUP BY xmin::text::bigint ORDER BY min(position)",
            [run.pk],
        )
        return [row[0] for row in cursor.fetchall()]
