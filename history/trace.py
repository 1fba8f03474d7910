"""The span waterfall of the Trace tab: each span's depth, offset and width on the run's
timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .models import LogRecord, Span


@dataclass
class Bar:
    span: Span
    depth: int
    offset: float  # percent of the timeline before the span starts
    width: float  # percent of the timeline the span covers
    duration_ms: float | None
    logs: list[LogRecord] = field(default_factory=list)


def waterfall(spans: list[Span], logs: list[LogRecord]) -> list[Bar]:
    """Spans in tree order (parents before their children), placed on one timeline."""
    if not spans:
        return []
    start = min(s.started_at for s in spans)
    end = max((s.ended_at or s.started_at) for s in spans)
    total = max((end - start).total_seconds(), 1e-6)
    children: dict[str, list[Span]] = {}
    ids = {s.span_id for s in spans}
    for span in spans:
        parent = span.parent_span_id if span.parent_span_id in ids else ""
        children.setdefault(parent, []).append(span)
    by_span: dict[str, list[LogRecord]] = {}
    for log in logs:
        by_span.setdefault(log.span_id, []).append(log)
    bars: list[Bar] = []

    def visit(parent: str, depth: int) -> None:
        for span in sorted(children.get(parent, []), key=lambda s: s.started_at):
            bars.append(_bar(span, depth, start, total, by_span.get(span.span_id, [])))
            visit(span.span_id, depth + 1)

    visit("", 0)
    return bars


def _bar(span: Span, depth: int, start: Any, total: float, logs: list[LogRecord]) -> Bar:
    offset = (span.started_at - start).total_seconds() / total * 100
    seconds = (span.ended_at - span.started_at).total_seconds() if span.ended_at else None
    width = max(0.5, (seconds or 0) / total * 100)
    return Bar(
        span,
        depth,
        round(offset, 3),
        round(min(width, 100 - offset), 3),
        seconds * 1000 if seconds else None,
        logs,
    )
