"""A seeded run's own telemetry: its root span, its duration line item and its log lines."""

from __future__ import annotations

from collections.abc import Callable

from .catalogue import DURATION_PRICE, WORKERS
from .plans import Draft
from .rows import Rows, money, stamp

OTEL_STATUS = {"success": "ok", "failed": "error"}
RUN_END: dict[str, Callable[[Draft, int], tuple[str, str]]] = {
    "success": lambda d, ms: ("INFO", f"Run succeeded in {ms} ms"),
    "failed": lambda d, ms: ("ERROR", f"Run failed after {ms} ms: {d.summary}"),
    "canceled": lambda d, ms: ("WARNING", f"Run canceled by {d.actor} after {ms} ms"),
}


def log_line(rows: Rows, draft: Draft, at: str, level: str, logger: str, message: str) -> None:
    rows.add(
        "log",
        id=rows.new_id("log"),
        run_id=draft.pk,
        span_id=draft.root_span,
        created_at=at,
        level=level,
        logger=logger,
        message=message,
        attributes="{}",
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
        name=f"{draft.target.kind} {draft.target.slug}",
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
        log_line(
            rows,
            draft,
            finished,
            RUN_END[draft.status](draft, ms)[0],
            "keystroke.run",
            RUN_END[draft.status](draft, ms)[1],
        )
    elif draft.wake_at is not None:
        log_line(
            rows, draft, started, "INFO", "keystroke.run", f"Suspended until {stamp(draft.wake_at)}"
        )
