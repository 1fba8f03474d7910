from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..payloads import preview

register = template.Library()


@register.inclusion_tag("history/_payload.html", takes_context=True)
def payload(
    context: template.Context, value: Any, title: str, download_url: str = ""
) -> dict[str, Any]:
    """A payload with its JSON/YAML toggle and Copy button; large ones truncated with a download
    link.
    """
    return {"preview": preview(value), "title": title, "download_url": download_url}


@register.filter
def status_badge(run: Any) -> SafeString:
    """A run's status as a coloured badge; a filter, not a partial, as the list shows fifty."""
    return format_html(
        '<span class="status status-{}"><span class="dot" aria-hidden="true"></span>{}</span>',
        run.status,
        run.get_status_display(),
    )


@register.filter
def wait_text(wait: Any) -> SafeString:
    """What a run waits on, in words, its times as ``<time>`` elements."""
    if wait.kind == "sleep":
        return format_html("sleeps until {}", moment(wait.until))
    if wait.kind == "retry":
        of = format_html(" of {}", wait.max_attempts) if wait.max_attempts else ""
        return format_html(
            "retrying <code>{}</code> (attempt {}{}) at {}",
            wait.step_id,
            wait.attempt,
            of,
            moment(wait.until),
        )
    if wait.kind == "hook":
        times_out = format_html(" (times out {})", moment(wait.until)) if wait.until else ""
        return format_html(
            "waiting on hook <code>{}</code> since {}{}", wait.name, moment(wait.since), times_out
        )
    return format_html(
        'waiting on child run <a href="{}"><code>{}</code></a>',
        reverse("history:run-detail", args=[wait.child_run_id]),
        wait.child_run_id,
    )


@register.filter
def moment(value: datetime | None, precision: str = "s") -> SafeString | str:
    """A time with seconds (``ms``: milliseconds), in UTC; the browser shows it in its own time
    zone (history/js/times.js) and keeps the UTC ISO value on hover.
    """
    if value is None:
        return "—"
    utc = value.astimezone(UTC)
    shown = utc.strftime("%Y-%m-%d %H:%M:%S")
    if precision == "ms":
        shown += f".{utc.microsecond // 1000:03d}"
    iso = utc.isoformat(timespec="milliseconds" if precision == "ms" else "seconds")
    return format_html(
        '<time datetime="{}" title="{}" data-precision="{}">{} UTC</time>',
        iso,
        iso,
        precision,
        shown,
    )


@register.filter
def duration(ms: int | float | None) -> str:
    """``340 ms``, ``2.02 s``, ``14.5 s``, ``3m 20s``, ``2h 5m``, ``3d 4h``."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.0f} ms"
    seconds = ms / 1000
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m {seconds}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m" if hours < 48 else f"{hours // 24}d {hours % 24}h"


@register.filter
def cost(value: Decimal | None) -> str:
    if not value:
        return "—"
    if value < Decimal("0.01"):  # a model call often costs a fraction of a cent
        return f"${value:.6f}".rstrip("0")
    return f"${value:.4f}" if value < 1 else f"${value:.2f}"


@register.filter
def step_duration(step: Any) -> str:
    if step.started_at and step.finished_at:
        return duration((step.finished_at - step.started_at).total_seconds() * 1000)
    return "—"


@register.filter
def pretty_json(value: Any) -> str:
    """A JSON value indented for reading (escaped by the template like any text)."""
    return json.dumps(value, indent=2, ensure_ascii=False)


@register.filter
def step_state(step: Any) -> str:
    """What a step row shows that changes as the run goes on, for the live page to compare."""
    return f"{step.status}.{len(step.attempts or ())}"


@register.filter
def json_text(value: Any) -> str:
    """A small JSON value on one line, as an API client would send it (escaped by the template)."""
    return json.dumps(value, ensure_ascii=False)


@register.filter
def command_output(step: Any) -> dict[str, Any] | None:
    """A run_command step's command line, exit code and output, for its row; None for others."""
    output = step.output
    if not step.step_id.startswith("step:run-command#") or not isinstance(output, dict):
        return None
    command = output.get("command")
    if not isinstance(command, list) or "exit_code" not in output:
        return None
    shell = len(command) == 3 and command[:2] == ["/bin/sh", "-c"]
    line = command[2] if shell else shlex.join(str(arg) for arg in command)
    return {**output, "line": line}
