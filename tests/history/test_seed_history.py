"""``manage.py seed_history``: realistic runs for demos and benchmarks."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from history.fingerprints import fingerprint_of
from history.management.seeding.rows import TABLES
from history.management.seeding.runs import Seeder, SeedOptions
from history.models import LogRecord, Organization, Run, RunSlug, Span, Step, UsageItem

pytestmark = pytest.mark.django_db

ACTIVE = ["queued", "running", "sleeping", "waiting"]
LABELS = {
    "api": r"API",
    "cli": r"CLI",
    "ui": r"UI",
    "webhook": r"Webhook · signup",
    "schedule": r"Schedule · (weekly|daily|nightly)",
    "poll": r"Poll · tickets",
    "workflow": r"Workflow · signup-pipeline",
    "workflow_tool": r"Workflow tool · support-triage",
    "retry": r"Retry",
}


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_history", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.fixture
def output() -> str:
    return seed("--runs", "300", "--big-run-steps", "50")


def test_it_adds_the_runs_and_one_big_run_whose_id_it_prints(output: str) -> None:
    assert Run.objects.count() == 301
    assert "Seeded 301 runs into default" in output
    big_id = re.search(r"Big run: (run_[0-9a-f]{32})", output).group(1)  # type: ignore[union-attr]
    big = Run.objects.by_public_id(big_id).get()
    assert (big.status, big.step_count, big.steps.count()) == ("success", 50, 50)
    project = Organization.objects.default().default_project()
    assert not Run.objects.exclude(organization=project.organization, project=project).exists()


def test_it_mixes_kinds_statuses_and_triggers(output: str) -> None:
    kinds = dict(Run.objects.values_list("kind").annotate(n=Count("id")))
    assert 0.05 < kinds["agent"] / 301 < 0.3 and kinds["workflow"] > kinds["agent"]
    statuses = dict(Run.objects.values_list("status").annotate(n=Count("id")))
    assert {"success", "failed", "canceled"} <= set(statuses) and set(statuses) & set(ACTIVE)
    assert statuses["success"] == max(statuses.values()) and 0.03 < statuses["failed"] / 301 < 0.15
    assert {"greeting", "signup-pipeline", "support-escalation", "lead-researcher"} <= set(
        Run.objects.values_list("slug", flat=True)
    )
    for trigger, label in Run.objects.values_list("trigger_type", "trigger_label").distinct():
        assert re.fullmatch(LABELS[trigger], label), (trigger, label)


def test_failed_runs_carry_an_error_naming_their_failed_step(output: str) -> None:
    failed = Run.objects.filter(status="failed")
    assert failed.exists()
    for run in failed:
        assert run.error["type"] in ("RetriesExhausted", "StepFailed")
        assert run.error["message"].startswith(run.error["step_id"])
        assert "Traceback (most recent call last)" in run.error["traceback"]
        step = run.steps.get(step_id=run.error["step_id"])
        assert step.status == "failed" and step.error["attempts"] and run.output is None
        assert run.error_fingerprint == fingerprint_of(run.error), "as the store writes it"
    assert not Run.objects.exclude(status="failed").exclude(error_fingerprint="").exists()


def test_agent_runs_have_models_a_cost_and_a_conversation(output: str) -> None:
    agents = Run.objects.filter(kind="agent", status="success")
    assert agents.exists()
    for run in agents:
        assert run.models_used and run.total_cost > 0 and run.services_used
        assert run.message_count == len(run.conversation) > 2
        roles = [m["role"] for m in run.conversation]
        assert roles[:3] == ["user", "assistant", "tool"] and roles[-1] == "assistant"
        assert any(m.get("tool_calls") for m in run.conversation)
        lines = run.usage_items.filter(kind="model")
        assert lines and {f"{u.provider}:{u.model}" for u in lines} == set(run.models_used)
        # The engine copies an agent run's conversation from its agent step.
        agent_step = run.steps.get(position=0)
        assert (agent_step.kind, agent_step.step_id) == ("agent", f"step:{run.slug}#0")
        assert agent_step.output["conversation"] == run.conversation


def test_steps_usage_spans_and_logs_agree_with_their_run(output: str) -> None:
    assert not Run.objects.annotate(n=Count("steps")).exclude(n=F("step_count")).exists()
    assert all(
        re.fullmatch(r"step:[a-z-]+#\d+", s) for s in Step.objects.values_list("step_id", flat=True)
    )
    kinds = set(Step.objects.values_list("kind", flat=True))
    assert {"action", "agent", "model", "llm", "workflow"} <= kinds and kinds & {"sleep", "hook"}
    retried = Step.objects.filter(status="success", attempts__1__isnull=False)
    assert retried.exists() and all(s.attempts[0]["error"]["type"] for s in retried)
    finished = Run.objects.filter(finished_at__isnull=False)
    assert UsageItem.objects.filter(kind="duration").count() == finished.count()
    started = Run.objects.filter(started_at__isnull=False)
    roots = Span.objects.filter(parent_span_id="")
    assert (
        roots.count() == started.count()
        and Span.objects.count() == roots.count() + Step.objects.count()
    )
    assert not Span.objects.exclude(parent_span_id="").exclude(
        Exists(Span.objects.filter(run=OuterRef("run"), span_id=OuterRef("parent_span_id")))
    )
    assert (
        LogRecord.objects.filter(level="ERROR").count()
        == Run.objects.filter(status="failed").count()
    )


def test_times_are_consistent(output: str) -> None:
    for run in Run.objects.filter(started_at__isnull=False):
        assert run.created_at <= run.started_at
        assert run.queue_ms == round((run.started_at - run.created_at).total_seconds() * 1000)
        if run.finished_at is not None:
            assert run.duration_ms == round(
                (run.finished_at - run.started_at).total_seconds() * 1000
            )
    assert not Run.objects.filter(status__in=ACTIVE, finished_at__isnull=False).exists()
    assert not Run.objects.filter(
        created_at__lt=timezone.now() - timedelta(days=30, minutes=1)
    ).exists()


def test_active_runs_are_among_the_newest(output: str) -> None:
    newest = set(Run.objects.order_by("-created_at").values_list("id", flat=True)[:40])
    active = set(Run.objects.filter(status__in=ACTIVE).values_list("id", flat=True))
    assert active and active <= newest


def test_every_reference_resolves(output: str) -> None:
    # The seeder skips PostgreSQL's row-by-row foreign key checks where it may, so check here.
    runs = Run.objects.filter(pk=OuterRef("run_id"))
    for model in (Step, UsageItem, Span, LogRecord):
        assert not model.objects.exclude(Exists(runs)).exists(), model
    assert not UsageItem.objects.filter(step_id__isnull=False).exclude(
        Exists(Step.objects.filter(pk=OuterRef("step_id")))
    )
    children = Run.objects.filter(trigger_type="workflow")
    assert children.exists()
    for child in children.select_related("parent"):
        assert (
            child.parent.slug == "signup-pipeline"
            and child.trigger_raw["parent_run_id"] == child.parent.public_id
        )
        assert child.parent.steps.get(step_id="step:greeting#0").child_run_id == child.pk
    for rerun in Run.objects.filter(trigger_type="retry").select_related("rerun_of"):
        assert rerun.rerun_of.status == "failed" and rerun.rerun_of.slug == rerun.slug
    assert not Step.objects.filter(kind="workflow").filter(
        Q(child_run__isnull=True) & ~Q(run__status="queued")
    )


def test_it_records_each_slug_with_its_first_run_as_the_store_does(output: str) -> None:
    first = {
        slug: (kind, created)
        for slug, kind, created in Run.objects.order_by("-created_at").values_list(
            "slug", "kind", "created_at"
        )
    }
    org = Organization.objects.default()
    recorded = RunSlug.objects.filter(organization=org).values_list("slug", "kind", "first_seen")
    assert {slug: (kind, seen) for slug, kind, seen in recorded} == first


def test_seeding_again_adds_new_runs() -> None:
    seed("--runs", "20", "--big-run-steps", "0")
    seed("--runs", "20", "--big-run-steps", "0")
    assert Run.objects.count() == 40
    org = Organization.objects.default()
    assert Run.objects.create(organization=org, project=org.default_project(), slug="x").pk > 40


def test_it_seeds_another_organization() -> None:
    call_command(
        "create_user", "ann", "--password", "s3cret-pass", "--org", "acme", stdout=StringIO()
    )
    seed("--runs", "10", "--org", "acme", "--big-run-steps", "0")
    acme = Organization.objects.get(slug="acme")
    assert Run.objects.filter(organization=acme, project=acme.default_project()).count() == 10


def test_the_same_seed_gives_the_same_runs() -> None:
    def rows(seed: int) -> list[tuple[object, ...]]:
        options = SeedOptions(
            1, 1, 200, timezone.now(), {t: 1 for t in TABLES}, big_run_steps=10, seed=seed
        )
        return [row[:8] for batch in Seeder(options).batches() for row in batch.rows["run"]]

    assert rows(1) == rows(1) != rows(2)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--runs", "0"], "--runs must be a positive number"),
        (["--runs", "-5"], "--runs must be a positive number"),
        (["--runs", "10", "--steps-per-run", "0"], "--steps-per-run must be a positive number"),
        (["--runs", "10", "--big-run-steps", "-1"], "--big-run-steps must be 0"),
        (["--runs", "10", "--org", "nope"], "No organization 'nope'"),
        (["--runs", "10", "--processes", "0"], "--processes must be a positive number"),
    ],
)
def test_bad_arguments_are_refused_with_a_clear_message(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        seed(*args)
    assert not Run.objects.exists()


def test_a_chunk_that_runs_past_its_ids_is_refused_before_it_is_written() -> None:
    first = {t: 1 for t in TABLES}
    options = SeedOptions(1, 1, 50, timezone.now(), first, big_run_steps=0, id_limits={"step": 20})
    with pytest.raises(RuntimeError, match="more step rows than the ids set aside"):
        list(Seeder(options).batches())


def test_inside_a_transaction_the_chunks_are_seeded_in_this_process() -> None:
    seed("--runs", "800", "--batch-size", "100", "--big-run-steps", "0", "--processes", "2")
    assert Run.objects.count() == 800, "seen by this transaction, which forked ones could not"


@pytest.mark.django_db(transaction=True)
def test_two_processes_seed_the_same_runs_as_one_with_every_index_back() -> None:
    def index_names() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename LIKE 'history_%%'")
            return {name for (name,) in cursor.fetchall()}

    def seeded(processes: str) -> tuple[list[tuple[object, ...]], set[str]]:
        out = seed(
            "--runs", "2000", "--batch-size", "125", "--big-run-steps", "20",
            "--processes", processes,
        )  # fmt: skip
        assert "Seeded 2,001 runs" in out
        # each chunk's ids are its own: every reference lands in the chunk that made it
        runs = Run.objects.filter(pk=OuterRef("run_id"))
        for model in (Step, UsageItem, Span, LogRecord):
            assert not model.objects.exclude(Exists(runs)).exists(), model
        assert not UsageItem.objects.filter(step_id__isnull=False).exclude(
            Exists(Step.objects.filter(pk=OuterRef("step_id")))
        )
        seeded_runs = list(Run.objects.order_by("pk").values_list("pk", "uid", "slug", "status"))
        names = index_names()
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE history_run, history_runslug CASCADE")
        return seeded_runs, names

    migrated = index_names()
    assert "history_run_input_trgm" in migrated and "history_step_run_started" in migrated
    one = seeded("1")
    assert one[1] == migrated, "dropped for the load, built again after it"
    assert seeded("2") == one, "the same runs, ids and indexes"
