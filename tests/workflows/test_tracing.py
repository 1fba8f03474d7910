"""Traces (§5.2): spans per pass and step, logs attached to their span, secrets redacted."""

from __future__ import annotations

import pytest

from history.models import LogRecord, Organization, Run, Span, UsageItem
from workflows.runner import resume_run

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_pass_records_nested_spans_and_the_logs_of_each_step_without_secrets(org: Organization) -> None:
    run = Run.objects.create(
        organization=org, project=org.default_project(), slug="traced", input={"url": "https://crm.example"}
    )
    assert resume_run(run.pk) == "completed"

    spans = {s.name: s for s in Span.objects.filter(run=run)}
    root = spans["workflow traced"]
    assert root.parent_span_id == "" and root.trace_id == run.uid.hex, "the run's id is its trace id"
    steps = [spans["step step:call-crm#0"], spans["step step:call-crm#1"]]
    assert {s.parent_span_id for s in steps} == {root.span_id}
    assert all(root.started_at <= s.started_at and s.ended_at <= root.ended_at for s in steps)
    assert steps[0].attributes["keystroke.attempt"] == 1

    logs = list(LogRecord.objects.filter(run=run))
    first_step_logs = [log for log in logs if log.span_id == steps[0].span_id]
    assert [log.logger for log in first_step_logs] == ["keystroke.step.call-crm", "crm.client"]
    assert any(log.message == "starting" and log.span_id == root.span_id for log in logs)
    everything = " ".join(log.message for log in logs) + str([s.attributes for s in spans.values()])
    assert "s3cr3t-token-abcdef" not in everything and "hunter2-very-secret" not in everything
    assert "Bearer [redacted]" in everything and "api_key=[redacted]" in everything

    duration = UsageItem.objects.get(run=run, kind="duration")
    run.refresh_from_db()
    assert duration.quantity == run.duration_ms and duration.unit == "ms"


def test_a_failed_attempt_marks_its_span_as_an_error(org: Organization, tmp_path) -> None:
    run = Run.objects.create(
        organization=org, project=org.default_project(), slug="three-steps",
        input={"marker": str(tmp_path / "m"), "flag": str(tmp_path / "missing")},
    )  # fmt: skip
    assert resume_run(run.pk) == "failed"
    failed = Span.objects.get(run=run, name="step step:effect#1")
    assert failed.status == "error"
    assert Span.objects.get(run=run, name="step step:effect#0").status == "unset"
