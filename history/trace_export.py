"""A run's trace as one document: JSON (spans, waits and logs as stored) or a Markdown timeline.

The JSON shape, version 1::

    {"version": 1, "run": {"id", "slug", "status", "trace_id"},
     "spans": [{"span_id", "parent_span_id", "name", "kind", "status", "started_at",
                "ended_at", "attributes"}],
     "waits": [{"kind": "backoff"|"sleep"|"hook"|"child", "step_id",
                "status": "waiting"|"done"|"error", "started_at",
                "ended_at", "wakes_at", "attempt", "child_run"}],
     "logs": [{"span_id", "created_at", "level", "logger", "message", "attributes"}]}

Times are ISO 8601 in UTC with microseconds, so parsing the export gives back the stored values.
Every log record is exported, the framework's too: the filters are the Trace tab's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from .hook_tokens import cut
from .markdown import text
from .models import Run
from .templatetags.history_tags import duration
from .timeline import WAIT_KINDS, Row, span_rows, spans_of, waits_of_run

VERSION = 1
# The Trace tab's Raw spans show this many; the JSON export has them all.
RAW_SPANS = 500
MARKDOWN_ROWS = 500
# A log line's characters in the Markdown; cut() drops a token the cut went through.
LOG_CHARS = 300
_LOG_FIELDS = ("span_id", "created_at", "level", "logger", "message", "attributes")


def trace_document(run: Run) -> dict[str, Any]:
    spans = list(spans_of(run))
    return {
        "version": VERSION,
        "run": {
            "id": run.public_id,
            "slug": run.slug,
            "status": run.status,
            "trace_id": run.uid.hex,
        },
        "spans": [_span(span) for span in spans],
        "waits": [_wait(row) for row in waits_of_run(run)],
        "logs": [
            {**log, "created_at": _time(log["created_at"])}
            for log in run.log_records.order_by("created_at", "id").values(*_LOG_FIELDS)
        ],
    }


def raw_spans(run: Run, limit: int = RAW_SPANS) -> tuple[list[dict[str, Any]], bool]:
    """The run's first ``limit`` spans as the JSON export has them, and whether there are more."""
    spans = [_span(span) for span in spans_of(run)[: limit + 1]]
    return spans[:limit], len(spans) > limit


def _span(span: dict[str, Any]) -> dict[str, Any]:
    fields = ("trace_id", "span_id", "parent_span_id", "name", "kind", "status", "attributes")
    return {
        **{name: span[name] for name in fields},
        "started_at": _time(span["started_at"]),
        "ended_at": _time(span["ended_at"]),
    }


def _wait(row: Row) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "step_id": row.step_id,
        "status": row.status,
        "started_at": _time(row.started_at),
        "ended_at": _time(row.ended_at),
        "wakes_at": _time(row.wakes_at),
        "attempt": row.attempt,
        "child_run": row.child_run or None,
    }


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def trace_markdown(run: Run, absolute: Callable[[str], str] | None = None) -> str:
    """The timeline as a Markdown list, one line per pass, attempt and wait, in time order."""
    link = absolute or (lambda path: path)
    spans = list(spans_of(run))
    roots = [s["span_id"] for s in spans if not s["parent_span_id"]]
    rows = sorted([*span_rows(spans, roots), *waits_of_run(run)], key=lambda r: r.started_at)
    start = rows[0].started_at if rows else None
    lines = [
        f"# Trace of {text(run.slug)} · {run.public_id}",
        "",
        f"Status {run.status}; trace id `{run.uid.hex}`; {len(roots)} pass"
        f"{'es' if len(roots) != 1 else ''}; {link(run.get_absolute_url())}?tab=trace",
        "",
        "## Timeline",
        "",
    ]
    lines += [_line(row, start) for row in rows[:MARKDOWN_ROWS]]
    if len(rows) > MARKDOWN_ROWS:
        lines.append(f"\n{len(rows) - MARKDOWN_ROWS} more rows: see the JSON export.")
    logs = list(run.log_records.order_by("created_at", "id").values(*_LOG_FIELDS)[:MARKDOWN_ROWS])
    if logs:
        lines += ["", "## Logs", ""]
        lines += [
            f"- `{log['created_at'].isoformat(timespec='milliseconds')}` {log['level']} "
            f"{text(log['logger'])}: {text(cut(log['message'], LOG_CHARS))}"
            for log in logs
        ]
    return "\n".join(lines) + "\n"


def _line(row: Row, start: datetime | None) -> str:
    at = f"+{duration((row.started_at - start).total_seconds() * 1000)}" if start else ""
    lasted = duration(row.duration_ms) if row.ended_at else "still going"
    indent = "  " * row.depth
    what = f"**{text(row.name)}** `{row.kind}`"
    if row.kind in WAIT_KINDS:
        until = f", wakes {row.wakes_at.isoformat(timespec='milliseconds')}" if row.wakes_at else ""
        child = f", child {row.child_run}" if row.child_run else ""
        failed = ""
        if row.status == "error":
            failed = " **timed out**" if row.kind == "hook" else " **failed**"
        return f"{indent}- {at} {what} waits {lasted}{until}{child}{failed}"
    failed = " **error**" if row.status == "error" else ""
    attempt = f" attempt {row.attempt}" if row.attempt else ""
    return f"{indent}- {at} {what}{attempt} {lasted}{failed}"
