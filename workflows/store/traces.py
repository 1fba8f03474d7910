"""The spans and log records of a pass, written with the row that concludes it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from history.models import LogRecord, Span

from ..storable import escape_json_nul, storable
from . import dialect


@dataclass(frozen=True)
class Trace:
    """The spans and log records of one pass, as row dicts (``workflows.tracing`` makes them)."""

    spans: list[dict[str, Any]]
    logs: list[dict[str, Any]]

    def __bool__(self) -> bool:
        return bool(self.spans or self.logs)


_SPAN_COLUMNS = (
    "trace_id, span_id, parent_span_id, name, kind, status, started_at, ended_at, attributes"
)
_SPAN_TYPES = (
    "trace_id text, span_id text, parent_span_id text, name text, kind text, status text,"
    " started_at timestamptz, ended_at timestamptz, attributes jsonb"
)
_LOG_COLUMNS = "span_id, created_at, level, logger, message, attributes"
_LOG_TYPES = (
    "span_id text, created_at timestamptz, level text, logger text, message text, attributes jsonb"
)
_TABLES = (
    ("history_span", "spans", _SPAN_COLUMNS, _SPAN_TYPES),
    ("history_logrecord", "logs", _LOG_COLUMNS, _LOG_TYPES),
)
# One statement and one parameter per table, however many rows: the batch travels as a JSON array.
_TRACE_SQL = {
    table: f"INSERT INTO {table} (run_id, {columns}) SELECT %s, {columns}"
    f" FROM jsonb_to_recordset(%s::jsonb) AS r({types})"
    for table, _, columns, types in _TABLES
}
# The same inserts as parts of the statement that ends a pass (``ending``), named parameters
# ``run``, ``spans`` and ``logs``.
TRACE_CTES = ", ".join(
    f"{name} AS (INSERT INTO {table} (run_id, {columns}) SELECT %(run)s, {columns}"
    f" FROM jsonb_to_recordset(%({name})s::jsonb) AS r({types}))"
    for table, name, columns, types in _TABLES
)


def trace_params(trace: Trace | None) -> dict[str, str]:
    return {
        "spans": _jsonb_text(trace.spans if trace else []),
        "logs": _jsonb_text(trace.logs if trace else []),
    }


def save_trace_txn(run_pk: int, trace: Trace) -> None:
    """A pass's spans and log records, in one batch (not a write per span)."""
    if not dialect.on_postgresql():
        Span.objects.bulk_create(
            [Span(run_id=run_pk, **span) for span in trace.spans], batch_size=500
        )
        LogRecord.objects.bulk_create(
            [LogRecord(run_id=run_pk, **log) for log in trace.logs], batch_size=500
        )
        return
    dialect.execute_prepared(
        [
            (_TRACE_SQL[table], [run_pk, _jsonb_text(rows)])
            for table, rows in (("history_span", trace.spans), ("history_logrecord", trace.logs))
            if rows
        ]
    )


def _jsonb_text(rows: list[dict[str, Any]]) -> str:
    """``rows`` as JSON that jsonb accepts: NUL characters escaped, NaN made null."""
    try:
        text = json.dumps(rows, default=_json_default, allow_nan=False)
    except ValueError:  # NaN or infinity in an attribute
        return _jsonb_text(storable(rows))
    return escape_json_nul(text)


def _json_default(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
