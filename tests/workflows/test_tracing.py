"""Traces: spans per pass and step, logs attached to their span, secrets redacted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from history.models import LogRecord, Organization, Run, Span, UsageItem
from workflows import tracing
from workflows.runner import resume_run

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_pass_records_nested_spans_and_the_logs_of_each_step_without_secrets(
    org: Organization,
) -> None:
    run = Run.objects.create(
        organization=org,
        project=org.default_project(),
        slug="traced",
        input={"url": "https://crm.example"},
    )
    assert resume_run(run.pk) == "completed"

    spans = {s.name: s for s in Span.objects.filter(run=run)}
    root = spans["workflow traced"]
    assert root.parent_span_id == "" and root.trace_id == run.uid.hex, (
        "the run's id is its trace id"
    )
    steps = [spans["step step:call-crm#0"], spans["step step:call-crm#1"]]
    assert {s.parent_span_id for s in steps} == {root.span_id}
    assert all(root.started_at <= s.started_at and s.ended_at <= root.ended_at for s in steps)
    assert steps[0].attributes["keystroke.attempt"] == 1
    assert steps[0].attributes["crm.url"] == "https://crm.example", (
        "attributes set through the OpenTelemetry API"
    )
    assert steps[0].attributes["crm.api_key"] == "[redacted]"

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
        organization=org,
        project=org.default_project(),
        slug="three-steps",
        input={"marker": str(tmp_path / "m"), "flag": str(tmp_path / "missing")},
    )
    assert resume_run(run.pk) == "failed"
    failed = Span.objects.get(run=run, name="step step:effect#1")
    assert failed.status == "error"
    assert Span.objects.get(run=run, name="step step:effect#0").status == "unset"


@pytest.fixture
def collector(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[ExportTraceServiceRequest]]:
    """A loopback OTLP/HTTP collector; the exporter is pointed at it through the standard
    variable.
    """
    received: list[ExportTraceServiceRequest] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            if (
                self.path == "/v1/traces"
                and self.headers["Content-Type"] == "application/x-protobuf"
            ):
                received.append(ExportTraceServiceRequest.FromString(body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", f"http://127.0.0.1:{server.server_port}")
    tracing._exporter.cache_clear()
    yield received
    if tracing._exporter() is not None:
        tracing._exporter().shutdown()
    tracing._exporter.cache_clear()
    server.shutdown()


def test_spans_are_exported_to_an_otlp_collector(
    org: Organization, collector: list[ExportTraceServiceRequest]
) -> None:
    run = Run.objects.create(
        organization=org,
        project=org.default_project(),
        slug="traced",
        input={"url": "https://crm.example"},
    )
    assert resume_run(run.pk) == "completed"
    assert tracing.flush_exports()

    exported = [
        (resource.resource, span)
        for request in collector
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    spans = {span.name: span for _, span in exported}
    stored = {s.name: s for s in Span.objects.filter(run=run)}
    assert set(spans) == set(stored), "the collector gets the spans History stores"
    root, step = spans["workflow traced"], spans["step step:call-crm#0"]
    assert root.trace_id == run.uid.bytes and root.parent_span_id == b""
    assert step.parent_span_id == root.span_id and step.span_id.hex() == stored[step.name].span_id
    attributes = {a.key: a.value.string_value for a in step.attributes}
    assert (
        attributes["crm.api_key"] == "[redacted]" and attributes["keystroke.step_kind"] == "action"
    )
    service = {a.key: a.value.string_value for a in exported[0][0].attributes}["service.name"]
    assert service == "keystroke"


def test_a_failed_step_is_exported_with_its_exception(
    org: Organization, collector: list[ExportTraceServiceRequest], tmp_path
) -> None:
    run = Run.objects.create(
        organization=org,
        project=org.default_project(),
        slug="three-steps",
        input={"marker": str(tmp_path / "m"), "flag": str(tmp_path / "missing")},
    )
    assert resume_run(run.pk) == "failed"
    assert tracing.flush_exports()
    spans = {
        s.name: s
        for r in collector
        for rs in r.resource_spans
        for ss in rs.scope_spans
        for s in ss.spans
    }
    failed = spans["step step:effect#1"]
    assert failed.status.code == failed.status.STATUS_CODE_ERROR
    assert [event.name for event in failed.events] == ["exception"]


def test_a_trace_with_nul_characters_and_nan_is_stored_not_lost(org: Organization) -> None:
    from django.db import transaction
    from django.utils import timezone

    from workflows import store

    run = Run.objects.create(organization=org, project=org.default_project(), slug="traced")
    now = timezone.now()
    span = {
        "trace_id": run.uid.hex,
        "span_id": "00000000000000aa",
        "parent_span_id": "",
        "name": "step a\x00b",
        "kind": "internal",
        "status": "unset",
        "started_at": now,
        "ended_at": now,
        "attributes": {
            "ratio": float("nan"),
            "note": "nul\x00here",
            "json": "a literal \\u0000 stays",
        },
    }
    log = {
        "span_id": "00000000000000aa",
        "created_at": now,
        "level": "INFO",
        "logger": "x",
        "message": "a\x00b",
    }
    with transaction.atomic():
        store.save_trace_txn(run.pk, store.Trace([span], [log | {"attributes": {}}]))
    stored = Span.objects.get(run=run)
    assert (stored.name, stored.attributes) == (
        "step a\\x00b",
        {"ratio": None, "note": "nul\\x00here", "json": "a literal \\u0000 stays"},
    )
    assert LogRecord.objects.get(run=run).message == "a\\x00b"
