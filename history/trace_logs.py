"""Which of a run's log records the Trace tab shows: the user's own code by default, the
framework's only from WARNING up, unless a level is asked for.

The worker keeps records from INFO up (``workflows.tracing``); DEBUG records are never stored,
so ``level=debug`` shows the same records as ``level=info``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import BadRequest
from django.db.models import Q, QuerySet

from .hook_tokens import cut
from .models import LogRecord, Run, Step
from .timeline import parse_cursor

LOG_ROWS = 100
# Loggers of the libraries the worker runs on, not of the user's workflows.
FRAMEWORK_LOGGERS = (
    "amqp",
    "asyncio",
    "billiard",
    "celery",
    "django",
    "httpcore",
    "httpx",
    "kombu",
    "opentelemetry",
    "py.warnings",
    "redis",
    "urllib3",
)
LEVELS = ("debug", "info", "warning", "error", "critical")
STATUSES = ("success", "failed")
_FIELDS = ("id", "span_id", "created_at", "level", "logger", "message")


@dataclass(frozen=True, slots=True)
class LogFilter:
    step: str = ""  # a step id, or a step's key ("lookup-company")
    kind: str = ""  # a step kind
    status: str = ""  # "failed": the logs of failed attempts; "success": the others
    level: str = ""  # the lowest level shown, of every logger; "" for the default

    @property
    def query(self) -> dict[str, str]:
        """The filter as URL parameters, for the More logs link."""
        fields = {"step": self.step, "kind": self.kind, "status": self.status, "level": self.level}
        return {name: value for name, value in fields.items() if value}


def parse_filter(params: Mapping[str, str]) -> LogFilter:
    """The filter of ``?step=&kind=&status=&level=``; 400 naming a value that is not one."""
    kind, status = params.get("kind", ""), params.get("status", "")
    level = params.get("level", "").lower()
    if kind and kind not in Step.Kind.values:
        raise BadRequest(
            f"kind={kind!r} is not a step kind: choose one of {_or(Step.Kind.values)}."
        )
    if status and status not in STATUSES:
        raise BadRequest(f"status={status!r} is not a status: choose one of {_or(STATUSES)}.")
    if level and level not in LEVELS:
        raise BadRequest(f"level={level!r} is not a level: choose one of {_or(LEVELS)}.")
    return LogFilter(step=cut(params.get("step", ""), 200), kind=kind, status=status, level=level)


def _or(values: Any) -> str:
    return ", ".join(values)


def framework(logger_field: str = "logger") -> Q:
    q = Q()
    for name in FRAMEWORK_LOGGERS:
        q |= Q(**{logger_field: name}) | Q(**{f"{logger_field}__startswith": f"{name}."})
    return q


def _at_least(level: str) -> list[str]:
    return [name.upper() for name in LEVELS[LEVELS.index(level) :]]


def filtered(run: Run, chosen: LogFilter) -> QuerySet[LogRecord]:
    logs = run.log_records.all()
    if chosen.level:
        # A level the user chose applies to every logger, the framework's too.
        logs = logs.filter(level__in=_at_least(chosen.level))
    else:
        logs = logs.exclude(framework() & ~Q(level__in=_at_least("warning")))
    if chosen.step or chosen.kind or chosen.status:
        logs = logs.filter(span_id__in=_spans(run, chosen).values("span_id"))
    return logs.order_by("created_at", "id")


def _spans(run: Run, chosen: LogFilter) -> Any:
    # Key transforms, not attributes__contains: SQLite has no JSON containment.
    spans = run.spans.all()
    if chosen.step.startswith("step:"):
        spans = spans.filter(**{"attributes__keystroke.step_id": chosen.step})
    elif chosen.step:  # a key names every call of the step: step:<key>#0, #1…
        spans = spans.filter(
            **{"attributes__keystroke.step_id__startswith": f"step:{chosen.step}#"}
        )
    if chosen.kind:
        spans = spans.filter(**{"attributes__keystroke.step_kind": chosen.kind})
    if chosen.status == "failed":
        spans = spans.filter(status="error")
    elif chosen.status == "success":
        spans = spans.exclude(status="error")
    return spans


def page(run: Run, chosen: LogFilter, after: str = "") -> tuple[list[dict[str, Any]], str]:
    """A page of the records ``chosen`` shows, and the cursor of the next one ("" at the end)."""
    logs = filtered(run, chosen)
    cursor = _cursor(after)
    if cursor:
        logs = logs.filter(Q(created_at__gt=cursor[0]) | Q(created_at=cursor[0], id__gt=cursor[1]))
    found = list(logs.values(*_FIELDS)[: LOG_ROWS + 1])
    more = len(found) > LOG_ROWS
    found = found[:LOG_ROWS]
    last = found[-1] if more else None
    return found, f"{last['created_at'].isoformat()}~{last['id']}" if last else ""


def _cursor(value: str) -> tuple[datetime, int] | None:
    return parse_cursor(
        value, "log_after is not a cursor: pass back the More logs link's value unchanged."
    )
