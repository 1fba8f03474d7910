"""What one pass of a run costs the database: statements pinned per run and per step, and the
step record prepared on the server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection
from pydantic import BaseModel

from history.models import Organization, Run, Step, UsageItem
from workflows import runner
from workflows.registry import Registry
from workflows.runner import resume_run
from workflows.sdk import Context, define_action, define_workflow

from ..factories import make_run

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="statement counts of PostgreSQL"),
]


class Tick(BaseModel):
    n: int


class Count(BaseModel):
    steps: int


class Empty(BaseModel):
    pass


def _tick(input: Tick) -> Tick:
    return input


@pytest.fixture
def workflows(scratch_registry: Registry) -> Iterator[None]:
    tick = define_action(slug="pass-tick", input=Tick, output=Tick, run=_tick)

    async def ten(input: Empty, ctx: Context) -> Count:
        for n in range(10):
            await tick.run(Tick(n=n))
        return Count(steps=10)

    async def zero(input: Empty, ctx: Context) -> Count:
        return Count(steps=0)

    async def step_then_sleep(input: Empty, ctx: Context) -> Count:
        await tick.run(Tick(n=0))
        await ctx.sleep("1h")
        return Count(steps=1)

    def drain(input: Tick) -> Tick:
        runner.draining.set()  # as a worker told to shut down while this step runs
        return input

    drained = define_action(slug="pass-drain", input=Tick, output=Tick, run=drain)

    async def drained_midway(input: Empty, ctx: Context) -> Count:
        await drained.run(Tick(n=0))
        await tick.run(Tick(n=1))
        return Count(steps=2)

    define_workflow(
        slug="pass-drained-deferred",
        input=Empty,
        output=Count,
        run=drained_midway,
        step_commits="deferred",
    )

    class Ratio(BaseModel):
        value: float

    # Its input, made by the workflow's own code, is one jsonb refuses; its output is not.
    ratio = define_action(
        slug="pass-ratio", input=Ratio, output=Ratio, run=lambda r: Ratio(value=0)
    )

    async def not_a_number(input: Empty, ctx: Context) -> Count:
        await ratio.run(Ratio(value=float("nan")))
        return Count(steps=1)

    define_workflow(
        slug="pass-nan-deferred",
        input=Empty,
        output=Count,
        run=not_a_number,
        step_commits="deferred",
    )
    define_workflow(slug="pass-ten", input=Empty, output=Count, run=ten)
    define_workflow(slug="pass-zero", input=Empty, output=Count, run=zero)
    define_workflow(
        slug="pass-ten-deferred", input=Empty, output=Count, run=ten, step_commits="deferred"
    )
    define_workflow(
        slug="pass-sleep-deferred",
        input=Empty,
        output=Count,
        run=step_then_sleep,
        step_commits="deferred",
    )
    yield


class Statements:
    """Every statement sent on Django's connection, the engine's prepared ones included."""

    def __init__(self) -> None:
        self.sql: list[str] = []
        self.transactions = 0
        self._in_atomic = False

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        # A statement outside transaction.atomic is a transaction of its own; the statements of
        # one atomic block, one between them.
        in_atomic = context["connection"].in_atomic_block
        self.transactions += not (in_atomic and self._in_atomic)
        self._in_atomic = in_atomic
        self.sql.append(sql)
        return execute(sql, params, many, context)


def one_pass(org: Organization, slug: str, ending: str = "completed") -> Statements:
    run = make_run(org, slug)
    statements = Statements()
    with connection.execute_wrapper(statements):
        assert resume_run(run.pk) == ending
    run.refresh_from_db()
    if ending in ("completed", "suspended"):  # a run handed back counts its steps when it ends
        assert run.step_count == Step.objects.filter(run=run).count()
    if ending == "completed":
        assert run.status == Run.Status.SUCCESS
        assert UsageItem.objects.filter(run=run, kind=UsageItem.Kind.DURATION).count() == 1
    return statements


@pytest.mark.usefixtures("workflows")
def test_a_pass_costs_a_fixed_number_of_statements_and_one_per_step(org: Organization) -> None:
    one_pass(org, "pass-zero")  # this process's first pass loads what every later one reuses
    zero, ten = one_pass(org, "pass-zero").sql, one_pass(org, "pass-ten").sql
    assert len(zero) == 2, zero
    assert len(ten) - len(zero) == 10, "one statement per recorded step"
    assert sum("INSERT INTO history_step" in sql for sql in ten) == 10


@pytest.mark.usefixtures("workflows")
def test_a_ten_step_pass_is_twelve_transactions_and_eleven_with_deferred_step_commits(
    org: Organization,
) -> None:
    one_pass(org, "pass-zero")
    each, deferred = one_pass(org, "pass-ten"), one_pass(org, "pass-ten-deferred")
    assert each.transactions == 12, "the claim, a commit per step, the end"
    assert deferred.transactions == 11, "the last step is committed with the run's end"
    assert len(deferred.sql) == len(each.sql), "the same statements"
    run = Run.objects.get(slug="pass-ten-deferred")
    assert list(run.steps.values_list("position", flat=True)) == list(range(10))


@pytest.mark.usefixtures("workflows")
def test_a_deferred_step_is_committed_before_the_sleep_that_follows_it(org: Organization) -> None:
    one_pass(org, "pass-sleep-deferred", ending="suspended")
    run = Run.objects.get(slug="pass-sleep-deferred")
    assert run.status == Run.Status.SLEEPING
    assert list(run.steps.values_list("step_id", "status")) == [
        ("step:pass-tick#0", "success"),
        ("step:sleep#0", "sleeping"),
    ]


@pytest.mark.usefixtures("workflows")
def test_a_deferred_step_is_committed_when_a_shutting_down_worker_hands_the_run_back(
    org: Organization,
) -> None:
    try:
        one_pass(org, "pass-drained-deferred", ending="released: the worker is shutting down")
    finally:
        runner.draining.clear()
    run = Run.objects.get(slug="pass-drained-deferred")
    assert run.status == Run.Status.QUEUED
    assert list(run.steps.values_list("step_id", "status")) == [("step:pass-drain#0", "success")]


@pytest.mark.usefixtures("workflows")
def test_a_deferred_step_the_database_refuses_fails_the_run_as_an_immediate_one_would(
    org: Organization,
) -> None:
    one_pass(org, "pass-nan-deferred", ending="failed")
    run = Run.objects.get(slug="pass-nan-deferred")
    assert run.status == Run.Status.FAILED and run.lease_owner == ""


def test_step_commits_takes_each_or_deferred(scratch_registry: Registry) -> None:
    async def flow(input: Empty, ctx: Context) -> Count:
        return Count(steps=0)

    with pytest.raises(ValueError, match="step_commits is one of 'each', 'deferred', 'batched'"):
        define_workflow(slug="bad-commits", input=Empty, output=Count, run=flow, step_commits="x")


@pytest.mark.usefixtures("workflows")
def test_the_step_record_is_prepared_on_the_server(org: Organization) -> None:
    one_pass(org, "pass-ten")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("INSERT INTO history_step" in sql for sql in prepared), prepared
