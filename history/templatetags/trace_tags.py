"""The Trace tab's timeline rows, written in Python: a page of a big run has hundreds of them,
and the template language took most of the tab's time to render them."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from ..timeline import MAX_NEST, Placed, Row
from .history_tags import duration, moment

register = template.Library()


@register.simple_tag
def timeline_rows(rows: Iterable[Placed], nest: int, indent: int) -> SafeString:
    """``nest``: the level of child runs these rows are below the tab's run; ``indent``: how
    deep they are drawn (each level adds its child row's depth)."""
    return format_html_join("\n", "{}", ((_row(placed, nest, indent),) for placed in rows))


def _row(placed: Placed, nest: int, indent: int) -> SafeString:
    row = placed.row
    classes = f"span depth-{row.depth + indent} span-{row.kind} span-status-{row.status}"
    classes += " wait" if row.is_wait else ""
    return format_html(
        '<li class="{}" data-kind="{}" data-step="{}"><div class="span-label" title="{}">'
        '<span class="span-name">{}</span> <span class="badge kind-{}">{}</span>{}</div>'
        '<svg class="span-bar" viewBox="0 0 100 4" preserveAspectRatio="none" role="img" '
        'aria-label="{}: starts at {}% of the run, lasts {}%"><rect x="{}" y="0" width="{}" '
        'height="4"></rect></svg>{}</li>',
        classes,
        row.kind,
        row.step_id,
        row.title,
        row.name,
        row.kind,
        row.kind,
        _details(row),
        row.name,
        placed.offset,
        placed.width,
        placed.offset,
        placed.width,
        _child(row, nest, indent) if row.child_run else "",
    )


def _details(row: Row) -> SafeString:
    parts = []
    if row.attempt and not row.is_wait:
        parts.append(format_html('<span class="muted">attempt {}</span>', row.attempt))
    lasted = duration(row.duration_ms) if row.ended_at else f"still {row.status}"
    parts.append(
        format_html('<span class="muted">{} · {}</span>', moment(row.started_at, "ms"), lasted)
    )
    timed_out = row.kind == "hook" and row.status == "error"
    if row.wakes_at and not timed_out:
        label = "times out" if row.kind == "hook" else "wakes"
        parts.append(
            format_html('<span class="wakes">{} {}</span>', label, moment(row.wakes_at, "ms"))
        )
    if row.kind == "hook" and row.ended_at:
        # A hook's step fails only when its timeout came before an answer.
        label = "timed out at" if timed_out else "resumed"
        parts.append(
            format_html('<span class="wakes">{} {}</span>', label, moment(row.ended_at, "ms"))
        )
    if row.status == "error":
        parts.append(mark_safe('<span class="status status-failed">error</span>'))
    return format_html_join("", " {}", ((part,) for part in parts))


def _child(row: Row, nest: int, indent: int) -> SafeString:
    detail = reverse("history:run-detail", args=[row.child_run])
    if nest >= MAX_NEST:  # the deepest level: the child's timeline is a link away
        return format_html(
            '<p class="child-trace">Child run <a href="{}?tab=trace">{}</a></p>',
            detail,
            row.child_run,
        )
    rows = reverse("history:trace-rows", args=[row.child_run])
    return format_html(
        '<details class="child-trace"><summary>Child run <a href="{}?tab=trace">{}</a></summary>'
        '<ol class="timeline" hx-get="{}?nest={}&amp;indent={}" '
        'hx-trigger="toggle from:closest details once" '
        'hx-swap="innerHTML"><li class="muted">Loading…</li></ol></details>',
        detail,
        row.child_run,
        rows,
        nest + 1,
        row.depth + indent + 1,
    )
