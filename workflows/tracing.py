"""OpenTelemetry spans and Python logging records of a run, stored with the run (§5.2, Trace tab).

Each pass of a run is a span named after the workflow, with a child span per executed step;
every pass shares the run's trace id (its UUID), so a run slept over days is one trace.
Spans and log records are kept in memory during the pass and written in one batch at its
end. With OTEL_EXPORTER_OTLP_ENDPOINT set they are also exported to that collector.
"""

from __future__ import annotations

import logging
import os
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from types import TracebackType
from typing import Any

from opentelemetry import context, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace import NonRecordingSpan, SpanContext, Status, StatusCode, TraceFlags

from history.models import Run

from .redact import redact, redact_text
from .store import save_trace

LOG_LIMIT = 2000  # records kept per pass; a chatty step must not balloon the run


class _Collector(SpanProcessor):
    """Keeps the finished spans of the traces being watched, for writing at the end of a pass."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._spans: dict[int, list[ReadableSpan]] = {}

    def watch(self, trace_id: int) -> None:
        with self._lock:
            self._spans[trace_id] = []

    def collect(self, trace_id: int) -> list[ReadableSpan]:
        with self._lock:
            return self._spans.pop(trace_id, [])

    def on_end(self, span: ReadableSpan) -> None:
        with self._lock:
            bucket = self._spans.get(span.context.trace_id)
            if bucket is not None:
                bucket.append(span)


_collector = _Collector()
_tracer: trace.Tracer | None = None


def tracer() -> trace.Tracer:
    global _tracer
    if _tracer is None:  # made on first use, after Celery's fork
        provider = TracerProvider(resource=Resource.create({"service.name": "keystroke"}))
        provider.add_span_processor(_collector)
        if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        _tracer = provider.get_tracer("keystroke")
    return _tracer


def tracing_enabled() -> bool:
    return os.environ.get("KEYSTROKE_TRACING", "1").lower() not in ("0", "false", "no", "off")


class _RunLogs(logging.Handler):
    """Records logged in this run's trace (its steps run in other threads, under their spans)."""

    def __init__(self, trace_id: int) -> None:
        super().__init__(level=logging.INFO)
        self.trace_id, self.records = trace_id, []

    def emit(self, record: logging.LogRecord) -> None:
        span = trace.get_current_span().get_span_context()
        if span.trace_id != self.trace_id or len(self.records) >= LOG_LIMIT:
            return
        self.records.append(
            {
                "span_id": f"{span.span_id:016x}",
                "created_at": datetime.fromtimestamp(record.created, UTC),
                "level": record.levelname,
                "logger": record.name,
                "message": redact_text(record.getMessage()),
                "attributes": {"thread": record.threadName, "module": record.module, "line": record.lineno},
            }
        )


class StepSpan:
    def __init__(self, span: trace.Span) -> None:
        self.span = span

    def failed(self, exc: BaseException) -> None:
        self.span.record_exception(exc)
        self.span.set_status(Status(StatusCode.ERROR, redact_text(f"{type(exc).__name__}: {exc}")))


class RunTrace:
    """Wraps one pass of a run: ``with RunTrace(run) as trace: execute(…, tracer=trace)``."""

    def __init__(self, run: Run) -> None:
        self.run, self.trace_id = run, run.uid.int
        self._remote_parent = random.getrandbits(64)
        self._logs = _RunLogs(self.trace_id)
        self._open: dict[str, trace.Span] = {}  # agent and prompt_llm steps in progress, by step id

    def __enter__(self) -> RunTrace:
        _collector.watch(self.trace_id)
        parent = SpanContext(self.trace_id, self._remote_parent, is_remote=True, trace_flags=TraceFlags(1))
        attributes = {"keystroke.run_id": self.run.public_id, "keystroke.attempt": self.run.attempt}
        self.span = tracer().start_span(
            f"workflow {self.run.slug}", context=trace.set_span_in_context(NonRecordingSpan(parent)),
            attributes=attributes,
        )  # fmt: skip
        self._token = context.attach(trace.set_span_in_context(self.span))
        logging.getLogger().addHandler(self._logs)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        logging.getLogger().removeHandler(self._logs)
        for span in self._open.values():  # steps still in progress when the pass suspended
            span.end()
        if exc is not None:
            StepSpan(self.span).failed(exc)
        self.span.end()
        context.detach(self._token)
        spans = [self._row(s) for s in _collector.collect(self.trace_id)]
        save_trace(self.run.pk, spans, self._logs.records)

    @contextmanager
    def step(
        self, step_id: str, kind: str, attempt: int, parent: str | None, attributes: dict[str, Any]
    ) -> Iterator[StepSpan]:
        """The span of one attempt of a step; it is current in the step's thread, so its logs attach."""
        attributes = {
            "keystroke.step_id": step_id, "keystroke.step_kind": kind, "keystroke.attempt": attempt, **attributes,
        }  # fmt: skip
        context = trace.set_span_in_context(self._open.get(parent or "", self.span))
        with tracer().start_as_current_span(f"step {step_id}", context=context, attributes=attributes) as span:
            yield StepSpan(span)

    def open(self, step_id: str, kind: str, parent: str | None) -> None:
        """Start the span of an agent or prompt_llm step; its model and tool calls nest under it."""
        context = trace.set_span_in_context(self._open.get(parent or "", self.span))
        attributes = {"keystroke.step_id": step_id, "keystroke.step_kind": kind}
        if kind == "agent":
            attributes |= {"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": _key(step_id)}
        self._open[step_id] = tracer().start_span(f"step {step_id}", context=context, attributes=attributes)

    def close(self, step_id: str, exc: BaseException | None) -> None:
        span = self._open.pop(step_id, None)
        if span is None:
            return
        if exc is not None:
            StepSpan(span).failed(exc)
        span.end()

    def _row(self, span: ReadableSpan) -> dict[str, Any]:
        parent = span.parent.span_id if span.parent and span.parent.span_id != self._remote_parent else None
        return {
            "trace_id": f"{span.context.trace_id:032x}",
            "span_id": f"{span.context.span_id:016x}",
            "parent_span_id": f"{parent:016x}" if parent else "",
            "name": span.name,
            "kind": span.kind.name.lower(),
            "status": span.status.status_code.name.lower(),
            "started_at": datetime.fromtimestamp(span.start_time / 1e9, UTC),
            "ended_at": datetime.fromtimestamp(span.end_time / 1e9, UTC) if span.end_time else None,
            "attributes": redact(dict(span.attributes or {})),
        }


def _key(step_id: str) -> str:
    return step_id.removeprefix("step:").rsplit("#", 1)[0]
