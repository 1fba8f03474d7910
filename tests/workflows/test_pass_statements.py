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

    define_workflow(slug="pass-ten", input=Empty, output=Count, run=ten)
    define_workflow(slug="pass-zero", input=Empty, output=Count, run=zero)
    yield


class Statements:
    """Every statement sent on Django's connection, the engine's prepared ones included."""

    def __init__(self) -> None:
        self.sql: list[str] = []

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.sql.append(sql)
        return execute(sql, params, many, context)


def _pass(org: Organization, slug: str) -> list[str]:
    run = make_run(org, slug)
    statements = Statements()
    with connection.execute_wrapper(statements):
        assert resume_run(run.pk) == "completed"
    run.refresh_from_db()
    assert (
        run.status == Run.Status.SUCCESS and run.step_count == Step.objects.filter(run=run).count()
    )
    assert UsageItem.objects.filter(run=run, kind=UsageItem.Kind.DURATION).count() == 1
    return statements.sql


@pytest.mark.usefixtures("workflows")
def test_a_pass_costs_a_fixed_number_of_statements_and_one_per_step(org: Organization) -> None:
    _pass(org, "pass-zero")  # this process's first pass loads what every later one reuses
    zero, ten = _pass(org, "pass-zero"), _pass(org, "pass-ten")
    assert len(zero) == 2, zero
    assert len(ten) - len(zero) == 10, "one statement per recorded step"
    assert sum("INSERT INTO history_step" in sql for sql in ten) == 10


@pytest.mark.usefixtures("workflows")
def test_the_step_record_is_prepared_on_the_server(org: Organization) -> None:
    _pass(org, "pass-ten")
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        prepared = [row[0] for row in cursor.fetchall()]
    assert any("INSERT INTO history_step" in sql for sql in prepared), prepared
