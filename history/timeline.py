"""The Trace tab's timeline: one run's passes, step attempts and the waits between them, in time
order, one page at a time.

Passes and attempts are the spans the worker recorded. Waits were never spans (nothing runs while
a run sleeps), so they are read from the step rows: a retry backoff lies between two attempts, a
sleep from its start to its wake-up, a hook from its opening to its answer, a child run from its
start to its end. A page holds ``PAGE_ROWS`` spans (keyset on ``(started_at, id)``) and the waits
of the steps that started in the same stretch of time, so a run of any size costs three queries.

Rows hold plain values only, never model instances: a page of a big run makes no reference
cycles for the garbage collector to chase.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import BadRequest
from django.db.models import Q
from django.db.models.fields.json import KT
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .listing import JsonArrayLength
from .models import Run, Span

PAGE_ROWS = 50
# Child runs expand in place down to this many levels below the run; deeper ones are links.
MAX_NEST = 5
# A level indents its rows by at most 3 (a nested step's wait is at depth 2, its child below).
MAX_INDENT = 3 * MAX_NEST
WAIT_KINDS = ("backoff", "sleep", "hook", "child")
# Executed kinds whose failed attempts wait for a retry (agent steps wait on their calls).
_RETRIED = ("action", "model", "llm")
_STEP_FIELDS = (
    "step_id",
    "kind",
    "status",
    "started_at",
    "finished_at",
    "wake_at",
    "attempts",
    "parent_position",
    "child_run__uid",
)
_SPAN_FIELDS = (
    "id",
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "kind",
    "status",
    "started_at",
    "ended_at",
)
# A page reads the three attributes it shows, not the whole JSON of each span.
_SPAN_KEYS = {
    "step_id": KT("attributes__keystroke.step_id"),
    "step_kind": KT("attributes__keystroke.step_kind"),
    "attempt": KT("attributes__keystroke.attempt"),
}


@dataclass(frozen=True, slots=True)
class Row:
    """One line of the timeline: a pass, a step attempt, or a wait."""

    kind: str  # "pass", a step kind ("action", "model", "agent"…), or one of WAIT_KINDS
    name: str  # "lookup-company", never "step step:lookup-company#0"
    title: str  # the full step id and attempt, or the span's recorded name
    depth: int
    started_at: datetime
    ended_at: datetime | None
    status: str  # a span's "unset"/"ok"/"error"; a wait's "waiting", "done" or "error"
    step_id: str = ""
    attempt: int | None = None
    span_id: str = ""
    wakes_at: datetime | None = None  # a backoff's or sleep's wake-up, a hook's timeout
    child_run: str = ""  # the public id of the child run waited on

    @property
    def is_wait(self) -> bool:
        return self.kind in WAIT_KINDS

    @property
    def duration_ms(self) -> float | None:
        if self.ended_at is None:
            return None
        return (self.ended_at - self.started_at).total_seconds() * 1000


@dataclass(frozen=True, slots=True)
class Placed:
    """A row with its bar on the run's timeline, in percent."""

    row: Row
    offset: float
    width: float


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[Placed]
    after: str  # the cursor of the next page, or "" at the end
    passes: int
    trace_id: str
    started_at: datetime | None
    ended_at: datetime | None


def step_key(step_id: str) -> str:
    """``step:lookup-company#0`` is ``lookup-company``."""
    return step_id.removeprefix("step:").rpartition("#")[0] or step_id


def parse_cursor(
    value: str,
    error: str = "after is not a cursor: pass back the Load more link's value unchanged.",
) -> tuple[datetime, int] | None:
    """``<time ISO>~<id>`` as a Load more link wrote it; 400 with ``error`` if it is not one.

    The time is brought to UTC here: an offset that takes it out of datetime's range (year 1 at
    +23:00) would otherwise fail in the database adapter, a 500."""
    if not value:
        return None
    stamp, _, pk = value.rpartition("~")
    try:
        stamp_at = parse_datetime(stamp)
        started = stamp_at.astimezone(UTC) if stamp_at and stamp_at.tzinfo else None
    except (ValueError, OverflowError):
        started = None
    if started is None or not (pk.isascii() and pk.isdigit()):
        raise BadRequest(error)
    return started, int(pk)


def page(run: Run, after: str = "", size: int = PAGE_ROWS) -> Page:
    cursor = parse_cursor(after)
    roots = list(
        run.spans.filter(parent_span_id="")
        .order_by("started_at", "id")
        .values_list("span_id", "trace_id", "started_at", "ended_at")
    )
    spans = run.spans.order_by("started_at", "id")
    if cursor:
        spans = spans.filter(started_at__gte=cursor[0]).exclude(
            started_at=cursor[0], id__lte=cursor[1]
        )
    found = list(spans.values(*_SPAN_FIELDS, **_SPAN_KEYS)[: size + 1])
    more = len(found) > size
    found = found[:size]
    steps = run.steps.exclude(started_at=None)
    if cursor:
        steps = steps.filter(started_at__gte=cursor[0])
    if more:
        steps = steps.filter(started_at__lt=found[-1]["started_at"])
    rows = sorted(
        [*span_rows(found, [r[0] for r in roots]), *wait_rows(_waiting(steps))],
        key=lambda r: r.started_at,
    )
    start, end = _extent(run, roots)
    last = found[-1] if more else None
    return Page(
        rows=[_place(row, start, end) for row in rows] if start and end else [],
        after=f"{last['started_at'].isoformat()}~{last['id']}" if last else "",
        passes=len(roots),
        trace_id=roots[0][1] if roots else run.uid.hex,
        started_at=start,
        ended_at=end,
    )


def span_rows(spans: Iterable[dict[str, Any]], roots: list[str]) -> Iterator[Row]:
    """Rows of recorded spans: passes, attempts, and the model and tool calls of agents.

    ``roots`` are the run's pass spans in time order, wherever the page starts."""
    numbers = {span_id: number for number, span_id in enumerate(roots, start=1)}
    depths: dict[str, int] = {}
    for span in spans:
        parent = span["parent_span_id"]
        if not parent:
            depth = 0
        else:
            # An agent's span may be on an earlier page: its calls are two levels down.
            depth = depths.get(parent, 0 if parent in numbers else 1) + 1
        depths[span["span_id"]] = depth
        step_id = str(span["step_id"] or "")
        kind = str(span["step_kind"] or ("pass" if not parent else "span"))
        if depth > 1 and kind == "action":
            kind = "tool"
        attempt = int(span["attempt"]) if str(span["attempt"] or "").isdigit() else None
        yield Row(
            kind=kind,
            name=step_key(step_id) if step_id else _plain(span["name"]),
            title=_title(span["name"], step_id, attempt, numbers.get(span["span_id"], 0)),
            depth=depth,
            started_at=span["started_at"],
            ended_at=span["ended_at"],
            status=span["status"] or "unset",
            step_id=step_id,
            attempt=attempt,
            span_id=span["span_id"],
        )


def _plain(name: str) -> str:
    """A span's name less the kind the badge shows: ``step step:x#0`` and ``step x`` are ``x``."""
    kind, _, rest = name.partition(" ")
    if kind not in ("workflow", "step") or not rest:
        return name
    return step_key(rest) if rest.startswith("step:") else rest


def _title(name: str, step_id: str, attempt: Any, pass_number: int) -> str:
    if pass_number:
        return f"pass {pass_number}"
    return f"{step_id} attempt {attempt}" if step_id and attempt else name


def wait_rows(steps: Iterable[dict[str, Any]]) -> Iterator[Row]:
    """The waits the step rows imply: backoffs between attempts, sleeps, hooks, child runs."""
    for step in steps:
        depth = 2 if step["parent_position"] is not None else 1
        kind, step_id = step["kind"], step["step_id"]
        base = {"name": step_key(step_id), "step_id": step_id, "depth": depth}
        waiting = step["status"] in ("sleeping", "waiting")
        # A hook that timed out, or a child run that failed, left its step failed.
        ended = "error" if step["status"] == "failed" else "done"
        if kind in _RETRIED:
            yield from _backoffs(step, base)
        elif kind == "sleep":
            yield Row(
                kind="sleep",
                title=f"{step_id} sleeps until {_iso(step['wake_at'])}",
                started_at=step["started_at"],
                ended_at=None if waiting else step["finished_at"] or step["wake_at"],
                status="waiting" if waiting else "done",
                wakes_at=step["wake_at"],
                **base,
            )
        elif kind == "hook":
            timeout = f", times out {_iso(step['wake_at'])}" if step["wake_at"] else ""
            if ended == "error":
                timeout = f", timed out at {_iso(step['finished_at'])}"
            yield Row(
                kind="hook",
                title=f"{step_id} waits for an answer{timeout}",
                started_at=step["started_at"],
                ended_at=None if waiting else step["finished_at"],
                status="waiting" if waiting else ended,
                wakes_at=step["wake_at"],
                **base,
            )
        elif kind == "workflow":
            child = f"run_{step['child_run__uid'].hex}" if step["child_run__uid"] else ""
            yield Row(
                kind="child",
                title=f"{step_id} waits on child run {child}",
                started_at=step["started_at"],
                ended_at=None if waiting else step["finished_at"],
                status="waiting" if waiting else ended,
                child_run=child,
                **base,
            )


def _backoffs(step: dict[str, Any], base: dict[str, Any]) -> Iterator[Row]:
    attempts = step["attempts"] or []
    for number, attempt in enumerate(attempts, start=1):
        if not attempt.get("error") or not attempt.get("finished_at"):
            continue
        ended = _parse(attempts[number].get("started_at")) if number < len(attempts) else None
        sleeping = number == len(attempts) and step["status"] == "sleeping"
        if ended is None and not sleeping:
            continue  # the last attempt failed for good: no retry followed
        wakes = step["wake_at"] if sleeping else ended
        yield Row(
            kind="backoff",
            title=f"{base['step_id']} retries (attempt {number + 1}) at {_iso(wakes)}",
            started_at=_parse(attempt["finished_at"]) or step["started_at"],
            ended_at=ended,
            status="waiting" if sleeping else "done",
            attempt=number + 1,
            wakes_at=wakes,
            **base,
        )


def _extent(run: Run, roots: list[tuple[str, str, datetime, datetime | None]]) -> tuple[Any, Any]:
    """The stretch of time the bars divide: from the first pass to the last end, or now if the
    run still goes on."""
    start = roots[0][2] if roots else run.started_at
    ends = [r[3] for r in roots if r[3]]
    end = timezone.now() if not run.is_terminal else max(ends, default=run.finished_at)
    if start and end and run.finished_at and run.is_terminal:
        end = max(end, run.finished_at)
    return start, end


def _place(row: Row, start: datetime, end: datetime) -> Placed:
    total = max((end - start).total_seconds(), 1e-6)
    offset = min(100.0, max(0.0, (row.started_at - start).total_seconds() / total * 100))
    stop = row.ended_at or (end if row.is_wait else row.started_at)
    width = max(0.5, (stop - row.started_at).total_seconds() / total * 100)
    return Placed(row, round(offset, 3), round(min(width, 100 - offset), 3))


def _parse(value: Any) -> datetime | None:
    return parse_datetime(value) if isinstance(value, str) else None


def _iso(value: datetime | None) -> str:
    return value.isoformat(timespec="milliseconds") if value else "?"


def _waiting(steps: Any) -> Any:
    """The steps among ``steps`` that waited: sleeps, hooks, child runs, and retried steps
    (only those read their attempts)."""
    retried = Q(kind__in=_RETRIED) & (Q(status="sleeping") | Q(attempt_count__gt=1))
    return (
        steps.annotate(attempt_count=JsonArrayLength("attempts"))
        .filter(Q(kind__in=("sleep", "hook", "workflow")) | retried)
        .values(*_STEP_FIELDS)
    )


def spans_of(run: Run) -> Any:
    """Every span of the run as plain dicts, for the export."""
    spans = Span.objects.filter(run=run).order_by("started_at", "id")
    return spans.values(*_SPAN_FIELDS, "attributes", **_SPAN_KEYS)


def waits_of_run(run: Run) -> list[Row]:
    """Every wait of the run, for the export."""
    return sorted(
        wait_rows(_waiting(run.steps.exclude(started_at=None))), key=lambda r: r.started_at
    )
