"""Seeded history is shaped like the record the engine keeps: every column of the models, agent and
prompt_llm steps with the steps inside them, and History pages that render it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from history.management.seeding.rows import MODELS, TABLES, Batch, Rows
from history.management.seeding.runs import Seeder, SeedOptions
from history.management.seeding.writing import copy_batch, create_batch
from history.models import LogRecord, Organization, Run, Span, Step

from ..factories import member

pytestmark = pytest.mark.django_db

# The columns no seeded row fills, and why. A column added to a model stops the seeder until it
# writes one; a column it writes only as the default fails here until it is named.
UNFILLED = {
    "run": {
        "actor_user_id",  # seeded actors are names, not accounts of this database
        "actor_api_key_id",
        "attempt",  # no seeded run is retried in place
        "wakeups",  # nothing resumes a seeded run
        "step_numbering",  # seeded runs are numbered as runs are today
        "has_workspace",  # a workspace's files live in the workspace storage, which seeds skip
    },
    "step": {
        "copied",
        "workspace",
        "workspace_seq",
    },  # no seeded run is a retry from a step or has a workspace
}


def options(org: Organization, runs: int = 300) -> SeedOptions:
    # Fixed first ids and seed, so the same runs every time: seed 15 gives every status, and
    # agent runs in all but queued.
    first = {table: 1 for table in TABLES}
    project = org.default_project().pk
    return SeedOptions(org.pk, project, runs, timezone.now(), first, big_run_steps=20, seed=15)


@pytest.fixture
def seeded(org: Organization) -> None:
    for batch in Seeder(options(org)).batches():
        copy_batch(batch)
    assert set(Run.objects.values_list("status", flat=True)) == set(Run.Status.values)


def _filled(model: type[models.Model], field: models.Field[object, object]) -> bool:
    rows = model._default_manager.filter(**{f"{field.attname}__isnull": False})
    default = field.get_default()
    if default is not None:
        rows = rows.exclude(**{field.attname: default})
    return rows.exists()


def test_every_column_of_the_record_holds_seeded_values(seeded: None) -> None:
    unfilled = {
        table: {field.column for field in model._meta.concrete_fields if not _filled(model, field)}
        for table, model in MODELS.items()
    }
    assert unfilled == {table: UNFILLED.get(table, set()) for table in TABLES}


def test_steps_inside_agent_and_prompt_llm_steps_point_at_them(seeded: None) -> None:
    inside = Step.objects.filter(parent_position__isnull=False)
    assert inside.filter(kind="model").exists() and inside.filter(kind="action").exists()
    parents = Step.objects.filter(run=OuterRef("run"), position=OuterRef("parent_position"))
    assert not inside.exclude(Exists(parents.filter(kind__in=["agent", "llm"])))
    assert not inside.exclude(position__gt=F("parent_position"))  # they come after it
    # Every model call runs inside one, and every step of an agent run inside its agent step.
    assert not Step.objects.filter(kind="model", parent_position__isnull=True)
    agent_steps = Step.objects.filter(run__kind="agent")
    assert not agent_steps.exclude(position=0).exclude(parent_position=0)
    assert set(agent_steps.filter(position=0).values_list("kind", flat=True)) == {"agent"}


def test_an_agent_step_ends_as_the_steps_inside_it_do(seeded: None) -> None:
    for agent in Step.objects.filter(kind="agent").select_related("run"):
        inside = list(Step.objects.filter(run=agent.run, parent_position=agent.position))
        assert all(agent.started_at <= step.started_at for step in inside)
        if agent.status == "success":
            assert agent.output["model"] == agent.input["model"]
            assert agent.finished_at == max(step.finished_at for step in inside)
        elif agent.status == "failed":
            failed = [step for step in inside if step.status == "failed"]
            assert len(failed) == 1 and agent.error["attempts"] == [failed[0].error]
            assert agent.run.error["step_id"] == agent.step_id
        else:
            assert agent.status == "waiting" and agent.finished_at is None
            assert agent.run.status in ("running", "sleeping", "canceled")


def test_model_calls_carry_their_cost_and_usage_line_as_the_engine_records_them(
    seeded: None,
) -> None:
    calls = Step.objects.filter(kind="model", status="success").prefetch_related("usage")
    assert calls
    for call in calls:
        (line,) = call.usage.all()
        assert (line.kind, line.unit, line.quantity) == ("model", "call", 1)
        assert f"{line.provider}:{line.model}" == call.input["model"]
        assert line.cost == call.cost > 0
    assert not Step.objects.filter(kind__in=["agent", "llm"]).exclude(cost=0)


def test_spans_nest_as_their_steps_do_and_a_steps_warnings_attach_to_its_span(
    seeded: None,
) -> None:
    for step in Step.objects.filter(parent_position__isnull=False)[:200]:
        span = Span.objects.get(run=step.run_id, name=f"step {step.step_id}")
        parent = Step.objects.get(run=step.run_id, position=step.parent_position)
        assert Span.objects.get(run=step.run_id, span_id=span.parent_span_id).name == (
            f"step {parent.step_id}"
        )
    warnings = LogRecord.objects.filter(logger__startswith="keystroke.step.")
    assert warnings and not warnings.exclude(
        Exists(
            Span.objects.filter(
                run=OuterRef("run"), span_id=OuterRef("span_id"), name__startswith="step "
            )
        )
    )


def test_every_kind_of_seeded_run_renders_its_history_pages(
    seeded: None, org: Organization
) -> None:
    browser = member(org)
    runs = {(run.kind, run.status): run for run in Run.objects.order_by("id")}
    assert len(runs) == 11
    for run in runs.values():
        for tab in ("overview", "steps", "metadata", "trace"):
            response = browser.get(f"/history/{run.public_id}/?tab={tab}")
            assert response.status_code == 200, (run, tab)
    agent = runs["agent", "success"]
    steps = browser.get(f"/history/{agent.public_id}/?tab=steps").content.decode()
    assert steps.count("step-child") == agent.step_count - 1
    assert f"step:{agent.slug}#0" in steps and "step:model#0" in steps


def test_a_seeded_row_must_give_every_column_of_its_model_and_no_other() -> None:
    rows = Rows({table: 1 for table in TABLES})
    line = {
        "id": 1,
        "run_id": 1,
        "span_id": "",
        "created_at": "2026-05-01T00:00:00+00:00",
        "level": "INFO",
        "logger": "keystroke.run",
        "message": "Run started",
        "attributes": "{}",
    }
    rows.add("log", **line)
    without_message = {name: value for name, value in line.items() if name != "message"}
    with pytest.raises(
        ValueError, match=r"LogRecord's columns: missing \['message'\], unknown \[\]"
    ):
        rows.add("log", **without_message)
    with pytest.raises(ValueError, match=r"missing \[\], unknown \['colour'\]"):
        rows.add("log", **line, colour="red")
    assert [row[6] for row in rows.take().rows["log"]] == ["Run started"]


class _Written(Exception):
    """Carries what a writer stored out of the savepoint that undoes it."""


def _stored_by(write: Callable[[Batch], None], options: SeedOptions) -> dict[str, list[object]]:
    try:
        with transaction.atomic():
            for batch in Seeder(options).batches():
                write(batch)
            raise _Written(
                {t: list(MODELS[t].objects.order_by("pk").values_list()) for t in TABLES}
            )
    except _Written as written:
        return written.args[0]  # type: ignore[no-any-return]


def test_bulk_create_for_other_databases_stores_what_copy_stores(org: Organization) -> None:
    few = options(org, runs=60)
    copied, created = _stored_by(copy_batch, few), _stored_by(create_batch, few)
    assert len(copied["run"]) == 61 and copied["step"] and copied["log"]
    assert created == copied
    assert not Run.objects.exists()
