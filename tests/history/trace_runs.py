"""A run to investigate, built row by row as the worker would have left it: a step retried
after a backoff, a sleep, a hook answered, and a child run waited on; with logs of the user's
code and of the framework."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from history.models import LogRecord, Organization, Run, Span, Step

from ..factories import make_run

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def span(
    run: Run, name: str, start: float, end: float, parent: Span | None = None, **attrs: Any
) -> Span:
    return Span.objects.create(
        run=run,
        trace_id=run.uid.hex,
        span_id=secrets.token_hex(8),
        parent_span_id=parent.span_id if parent else "",
        name=name,
        kind="internal",
        status=attrs.pop("status", "unset"),
        started_at=at(start),
        ended_at=at(end),
        attributes=attrs,
    )


def step_span(
    run: Run,
    parent: Span,
    step_id: str,
    kind: str,
    attempt: int,
    start: float,
    end: float,
    **extra: Any,
) -> Span:
    attrs = {
        "keystroke.step_id": step_id,
        "keystroke.step_kind": kind,
        "keystroke.attempt": attempt,
    }
    return span(run, f"step {step_id}", start, end, parent, **attrs, **extra)


def log(run: Run, owner: Span, seconds: float, level: str, logger: str, message: str) -> LogRecord:
    return LogRecord.objects.create(
        run=run,
        span_id=owner.span_id,
        created_at=at(seconds),
        level=level,
        logger=logger,
        message=message,
    )


def child_run(org: Organization) -> Run:
    child = make_run(org, "greeting", status="success", started_at=at(40), finished_at=at(50))
    root = span(child, "workflow greeting", 40, 50, **{"keystroke.run_id": child.public_id})
    step_span(child, root, "step:greet#0", "action", 1, 41, 49)
    Step.objects.create(
        run=child,
        position=0,
        step_id="step:greet#0",
        kind="action",
        status="success",
        started_at=at(41),
        finished_at=at(49),
    )
    return child


def investigated_run(org: Organization) -> Run:
    """Pass 1 (0-2 s): lookup fails; backoff to 10 s. Pass 2 (10-12 s): lookup succeeds, a
    sleep until 20 s. Pass 3 (20-21 s): a hook opens (times out in an hour), answered at 30 s.
    Pass 4 (30-31 s): a child run starts, done at 50 s. Pass 5 (50-51 s) finishes."""
    child = child_run(org)
    run = make_run(org, "signup-pipeline", status="success", started_at=at(0), finished_at=at(51))
    passes = [
        span(run, "workflow signup-pipeline", s, s + (2 if s == 0 else 1))
        for s in (0, 10, 20, 30, 50)
    ]
    failed = step_span(
        run, passes[0], "step:lookup-company#0", "action", 1, 0.5, 1.5, status="error"
    )
    ok = step_span(run, passes[1], "step:lookup-company#0", "action", 2, 10.1, 11)
    attempts = [
        {
            "attempt": 1,
            "started_at": at(0.5).isoformat(),
            "finished_at": at(1.5).isoformat(),
            "error": {"type": "Timeout", "message": "CRM timed out"},
            "max_attempts": 3,
        },
        {
            "attempt": 2,
            "started_at": at(10.1).isoformat(),
            "finished_at": at(11).isoformat(),
            "error": None,
            "max_attempts": 3,
        },
    ]
    rows = [
        ("step:lookup-company#0", "action", 0.5, 11, None, {"attempts": attempts}),
        ("step:sleep#0", "sleep", 11.5, 20, at(20), {}),
        (
            "step:hook:approval#0",
            "hook",
            20.5,
            30,
            at(20.5 + 3600),
            {"token": secrets.token_hex(20)},
        ),
        ("step:child:greeting#0", "workflow", 30.5, 50, None, {"child_run": child}),
    ]
    for position, (step_id, kind, start, end, wake, extra) in enumerate(rows):
        Step.objects.create(
            run=run,
            position=position,
            step_id=step_id,
            kind=kind,
            status="success",
            started_at=at(start),
            finished_at=at(end),
            wake_at=wake,
            **extra,
        )
    log(run, passes[0], 0.1, "INFO", "signup", "starting")
    log(run, failed, 1.0, "WARNING", "signup.crm", "CRM slow")
    log(run, failed, 1.1, "INFO", "kombu.connection", "connected to broker")
    log(run, failed, 1.2, "WARNING", "kombu.connection", "No hostname was supplied")
    log(run, ok, 10.5, "INFO", "signup.crm", "found acme")
    log(run, ok, 10.6, "INFO", "httpx", "HTTP Request: GET https://crm.example")
    return run
