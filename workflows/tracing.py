"""OpenTelemetry spans and Python logging records of a run, stored with the run (the Trace tab).

Each pass of a run is a span named after the workflow, with a child span per executed step;
every pass shares the run's trace id (its UUID), so a run slept over days is one trace.
Spans and log records are kept in memory during the pass and written in one batch with the
row that concludes it (``RunTrace.batch`` handed to ``store.conclude_run``). With
OTEL_EXPORTER_OTLP_ENDPOINT set they are also exported to that collector.

The spans implement the OpenTelemetry API (so ``trace.get_current_span()`` works in user code
and log records find their span) but are not the SDK's: its sampler, locks and attribute
limits cost about four times as much per step, which the engine benchmark showed as most of
tracing's overhead (docs/benchmarks.md). For export they are handed to the SDK as ``ReadableSpan``.
"""

from __future__ import annotations

import atexit
import logging
import os
import random
import time
import traceback
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import cache
from types import TracebackType
from typing import Any

from opentelemetry import context, trace
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.util.types import Attributes, AttributeValue

from history.models import Run
from keystroke_site.env import env_bool

from .redact import redact, redact_text
from .store import Trace
from .thread_signals import stop_signals_blocked

LOG_LIMIT = 2000  # records kept per pass; a chatty step must not balloon the run
_SAMPLED = TraceFlags(TraceFlags.SAMPLED)


class _Span(trace.Span):
    """A span of one pass, recorded in memory until the pass ends."""

    def __init__(
        self, spans: list[_Span], name: str, trace_id: int, parent: int, attributes: dict[str, Any]
    ) -> None:
        self._spans, self.name, self.parent, self.attributes = spans, name, parent, attributes
        self.context = SpanContext(
            trace_id, random.getrandbits(64), is_remote=False, trace_flags=_SAMPLED
        )
        self.status = Status(StatusCode.UNSET)
        self.events: list[tuple[str, dict[str, Any], int]] = []
        self.start_ns, self.end_ns = time.time_ns(), 0

    def get_span_context(self) -> SpanContext:
        return self.context

    def set_attributes(self, attributes: Mapping[str, AttributeValue]) -> None:
        self.attributes.update(attributes)

    def set_attribute(self, key: str, value: AttributeValue) -> None:
        self.attributes[key] = value

    def add_event(
        self, name: str, attributes: Attributes = None, timestamp: int | None = None
    ) -> None:
        self.events.append((name, dict(attributes or {}), timestamp or time.time_ns()))

    def update_name(self, name: str) -> None:
        self.name = name

    def is_recording(self) -> bool:
        return not self.end_ns

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        self.status = status if isinstance(status, Status) else Status(status, description)

    def record_exception(
        self,
        exception: BaseException,
        attributes: Attributes = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        detail = {
            "exception.type": type(exception).__name__,
            "exception.message": redact_text(str(exception)),
            "exception.stacktrace": redact_text("".join(traceback.format_exception(exception))),
        }
        self.add_event("exception", detail | dict(attributes or {}), timestamp)

    def end(self, end_time: int | None = None) -> None:
        if not self.end_ns:
            self.end_ns = end_time or time.time_ns()
            self._spans.append(self)

    def failed(self, exc: BaseException) -> None:
        self.record_exception(exc)
        self.set_status(Status(StatusCode.ERROR, redact_text(f"{type(exc).__name__}: {exc}")))

    def row(self) -> dict[str, Any]:
        return {
            "trace_id": f"{self.context.trace_id:032x}",
            "span_id": f"{self.context.span_id:016x}",
            "parent_span_id": f"{self.parent:016x}" if self.parent else "",
            "name": self.name[:200],
            "kind": "internal",
            "status": self.status.status_code.name.lower(),
            "started_at": datetime.fromtimestamp(self.start_ns / 1e9, UTC),
            "ended_at": datetime.fromtimestamp(self.end_ns / 1e9, UTC),
            "attributes": redact(self.attributes),
        }


def tracing_enabled() -> bool:
    return env_bool("KEYSTROKE_TRACING", True)


@cache
def _exporter() -> Any:
    """The OTLP span processor when OTEL_EXPORTER_OTLP_ENDPOINT is set; made on first use, after
    Celery's fork.
    """
    if not os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return None
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    with stop_signals_blocked():  # its export thread starts here
        processor = BatchSpanProcessor(OTLPSpanExporter())
    atexit.register(processor.shutdown)
    return processor


def _export(spans: Sequence[_Span]) -> None:
    processor = _exporter()
    if processor is None:
        return
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import Event, ReadableSpan
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope

    resource, scope = (
        Resource.create({"service.name": "keystroke"}),
        InstrumentationScope("keystroke"),
    )
    for span in spans:
        parent = SpanContext(
            span.context.trace_id, span.parent, is_remote=False, trace_flags=_SAMPLED
        )
        processor.on_end(
            ReadableSpan(
                name=span.name,
                context=span.context,
                parent=parent if span.parent else None,
                resource=resource,
                attributes=redact(span.attributes),
                kind=SpanKind.INTERNAL,
                status=span.status,
                events=[
                    Event(name, attributes, timestamp)
                    for name, attributes, timestamp in span.events
                ],
                start_time=span.start_ns,
                end_time=span.end_ns,
                instrumentation_scope=scope,
            )
        )


def flush_exports(timeout_ms: int = 30_000) -> bool:
    """Send what the OTLP exporter holds now (it otherwise sends every few seconds)."""
    processor = _exporter()
    return processor is None or processor.force_flush(timeout_ms)


class _RunLogs(logging.Handler):
    """Records logged in this run's trace (its steps run in other threads, under their spans)."""

    def __init__(self, trace_id: int) -> None:
        super().__init__(level=logging.INFO)
        self.trace_id = trace_id
        self.records: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        span = trace.get_current_span().get_span_context()
        if span.trace_id != self.trace_id or len(self.records) >= LOG_LIMIT:
            return
        self.records.append(
            {
                "span_id": f"{span.span_id:016x}",
                "created_at": datetime.fromtimestamp(record.created, UTC),
                "level": record.levelname[:16],
                "logger": record.name[:200],
                "message": redact_text(record.getMessage()),
                "attributes": {
                    "thread": record.threadName,
                    "module": record.module,
                    "line": record.lineno,
                },
            }
        )


class RunTrace:
    """Wraps one pass of a run: ``with RunTrace(run) as trace: execute(…, tracer=trace)``."""

    def __init__(self, run: Run) -> None:
        self.run, self.trace_id = run, run.uid.int
        self._logs = _RunLogs(self.trace_id)
        self._ended: list[_Span] = []
        self._open: dict[str, _Span] = {}  # agent and prompt_llm steps in progress, by step id

    def __enter__(self) -> RunTrace:
        attributes = {"keystroke.run_id": self.run.public_id, "keystroke.attempt": self.run.attempt}
        self.span = _Span(self._ended, f"workflow {self.run.slug}", self.trace_id, 0, attributes)
        self._token = context.attach(trace.set_span_in_context(self.span))
        logging.getLogger().addHandler(self._logs)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        logging.getLogger().removeHandler(self._logs)
        for span in list(self._open.values()):  # steps still in progress when the pass suspended
            span.end()
        if exc is not None:
            self.span.failed(exc)
        self.span.end()
        context.detach(self._token)
        ended = list(self._ended)  # a timed-out step's thread may still end its span later
        self.batch = Trace([span.row() for span in ended], self._logs.records)
        _export(ended)

    @contextmanager
    def step(
        self, step_id: str, kind: str, attempt: int, parent: str | None, attributes: dict[str, Any]
    ) -> Iterator[_Span]:
        """The span of one attempt of a step; it is current in the step's thread, so its logs
        attach.
        """
        attributes = {
            "keystroke.step_id": step_id,
            "keystroke.step_kind": kind,
            "keystroke.attempt": attempt,
            **attributes,
        }
        span = self._start(f"step {step_id}", parent, attributes)
        token = context.attach(trace.set_span_in_context(span))
        try:
            yield span
        finally:
            context.detach(token)
            span.end()

    def open(self, step_id: str, kind: str, parent: str | None) -> None:
        """Start the span of an agent or prompt_llm step; its model and tool calls nest under it."""
        attributes = {"keystroke.step_id": step_id, "keystroke.step_kind": kind}
        if kind == "agent":
            attributes |= {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": _key(step_id),
            }
        self._open[step_id] = self._start(f"step {step_id}", parent, attributes)

    def close(self, step_id: str, exc: BaseException | None) -> None:
        span = self._open.pop(step_id, None)
        if span is None:
            return
        if exc is not None:
            span.failed(exc)
        span.end()

    def _start(self, name: str, parent: str | None, attributes: dict[str, Any]) -> _Span:
        enclosing = self._open.get(parent or "", self.span)
        return _Span(self._ended, name, self.trace_id, enclosing.context.span_id, attributes)


def _key(step_id: str) -> str:
    return step_id.removeprefix("step:").rsplit("#", 1)[0]
