"""A seeded run's own telemetry: its root span, its duration line item and its log lines."""

from __future__ import annotations

from .catalogue import DURATION_PRICE, WORKERS
from .plans import Draft
from .rows import Rows, money, stamp

OTEL_STATUS = {"success": "ok", "failed": "error"}


def _last_line(draft: Draft, ms: int) -> tuple[str, str]:
    """The level and message of a finished run's last log line."""
    if draft.status == "success":
        return "INFO", f"Run succeeded in {ms} ms"
    if draft.status == "failed":
        assert draft.failure is not None  # every failed run has a step that failed
        return "ERROR", f"Run failed after {ms} ms: {draft.failure.summary}"
    return "WARNING", f"Run canceled by {draft.actor} after {ms} ms"


# Where a line was logged, as the engine's log handler records it.
RUN_LOG = '{"thread": "MainThread", "module": "runner", "line": 64}'


def log_line(
    rows: Rows,
    draft: Draft,
    at: str,
    level: str,
    logger: str,
    message: str,
    span_id: str = "",  # the run's own span unless a step's
    attributes: str = RUN_LOG,
) -> None:
    rows.add(
        "log",
        id=rows.new_id("log"),
        run_id=draft.pk,
        span_id=span_id or draft.root_span,
        created_at=at,
        level=level,
        logger=logger,
        message=message,
        attributes=attributes,
    )


def run_telemetry(rows: Rows, draft: Draft, started: str | None, finished: str | None) -> None:
    """The run's root span, its duration line item and its log lines."""
    if started is None:
        return
    attributes = (
        f'{{"keystroke.run_id": "{draft.public_id}", "keystroke.slug": "{draft.target.slug}"}}'
    )
    rows.add(
        "span",
        id=rows.new_id("span"),
        run_id=draft.pk,
        trace_id=draft.trace_id,
        span_id=draft.root_span,
        parent_span_id="",
        name=f"workflow {draft.target.slug}",  # as the engine names it, agents included
        kind="internal",
        status=OTEL_STATUS.get(draft.status, "unset"),
        started_at=started,
        ended_at=finished,
        attributes=attributes,
    )
    log_line(
        rows,
        draft,
        started,
        "INFO",
        "keystroke.run",
        f"Run started (attempt 1) on {WORKERS[draft.pk % 3]}",
    )
    if finished is not None:
        ms = round((draft.finished - draft.started) * 1000)  # type: ignore[operator]
        rows.add(
            "usage",
            id=rows.new_id("usage"),
            run_id=draft.pk,
            step_id=None,
            kind="duration",
            provider="",
            model="",
            service="",
            tokens_in=0,
            tokens_out=0,
            quantity=ms,
            unit="ms",
            unit_price_in=f"{DURATION_PRICE:.12f}",
            unit_price_out="0",
            cost=money(ms * DURATION_PRICE),
            created_at=finished,
        )
        level, message = _last_line(draft, ms)
        log_line(rows, draft, finished, level, "keystroke.run", message)
    elif draft.wake_at is not None:
        log_line(
            rows, draft, started, "INFO", "keystroke.run", f"Suspended until {stamp(draft.wake_at)}"
        )
