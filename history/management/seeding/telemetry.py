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
    row = (rows.new_id("log"), draft.pk, draft.root_span, at, level, logger, message, "{}")
    rows.add("log", row)


def run_telemetry(rows: Rows, draft: Draft, started: str | None, finished: str | None) -> None:
    """The run's root span, its duration line item and its log lines."""
    if started is None:
        return
    attributes = (
        f'{{"keystroke.run_id": "{draft.public_id}", "keystroke.slug": "{draft.target.slug}"}}'
    )
    rows.add(
        "span",
        (
            rows.new_id("span"),
            draft.pk,
            draft.trace_id,
            draft.root_span,
            "",
            f"{draft.target.kind} {draft.target.slug}",
            "internal",
            OTEL_STATUS.get(draft.status, "unset"),
            started,
            finished,
            attributes,
        ),
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
            (
                rows.new_id("usage"),
                draft.pk,
                None,
                "duration",
                "",
                "",
                "",
                0,
                0,
                ms,
                "ms",
                f"{DURATION_PRICE:.12f}",
                "0",
                money(ms * DURATION_PRICE),
                finished,
            ),
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
