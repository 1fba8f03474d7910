from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..access import get_run_for_actor
from ..conversation import display_messages
from ..models import Run, UsageItem
from ..models.accounts import Role
from ..pauses import held_by
from ..trace import waterfall
from ..waits import waits_of
from .common import actor_or_403

TABS = ("overview", "steps", "metadata", "trace")
STEPS_PER_PAGE = 50
SPAN_LIMIT = 2000


@login_required
@require_safe
def run_detail(request: HttpRequest, run_id: str) -> HttpResponse:
    actor = actor_or_403(request)
    run = get_run_for_actor(actor, run_id)
    tab = request.GET.get("tab", "overview")
    if tab not in TABS:
        raise BadRequest(f"tab={tab!r} is not a tab: choose one of {', '.join(TABS)}.")
    context: dict[str, Any] = {
        "run": run,
        "waits": waits_of([run]).get(run.pk, []),
        "held_by": held_by(run),
        "tab": tab,
        "tabs": TABS,
        "can_operate": actor.can(Role.OPERATOR),
    }
    context |= TAB_CONTEXT[tab](request, run, context["can_operate"])
    partial = request.headers.get("HX-Request") and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "history/_run_panel.html" if partial else "history/run_detail.html"
    return render(request, template, context)


def _overview(request: HttpRequest, run: Run, can_operate: bool) -> dict[str, Any]:
    usage = list(run.usage_items.order_by("created_at", "id"))
    # The run's duration line is shown once, with the queue time, priced if it was.
    duration_cost = sum((u.cost for u in usage if u.kind == UsageItem.Kind.DURATION), Decimal(0))
    failing = run.steps.filter(step_id=run.error.get("step_id")).first() if run.error else None
    return {
        "usage": usage,
        "duration_cost": duration_cost,
        "failing_step": failing,
        "conversation": display_messages(run.conversation or []),
    }


def _steps(request: HttpRequest, run: Run, can_operate: bool) -> dict[str, Any]:
    try:
        page = max(0, int(request.GET.get("page", "0")))
    except ValueError:
        raise BadRequest("page must be a whole number.") from None
    start = page * STEPS_PER_PAGE
    # The (run, position) unique index serves this range: cheap at any page of a huge run.
    steps = list(
        run.steps.filter(position__gte=start)
        .select_related("child_run")
        .order_by("position")[: STEPS_PER_PAGE + 1]
    )
    more = len(steps) > STEPS_PER_PAGE
    return {
        "steps": steps[:STEPS_PER_PAGE],
        "page": page,
        "previous_page": page - 1 if page else None,
        "next_page": page + 1 if more else None,
        "first_number": start + 1,
        "last_number": start + min(len(steps), STEPS_PER_PAGE),
    }


def _metadata(request: HttpRequest, run: Run, can_operate: bool) -> dict[str, Any]:
    children = run.children.only("uid", "slug", "status", "created_at").order_by("created_at")[:100]
    reruns = run.reruns.only("uid", "slug", "status").order_by("created_at")[:20]
    parent = (
        Run.objects.only("uid", "slug", "status").filter(pk=run.parent_id).first()
        if run.parent_id
        else None
    )
    rerun_of = (
        Run.objects.only("uid", "slug", "status").filter(pk=run.rerun_of_id).first()
        if run.rerun_of_id
        else None
    )
    return {"children": children, "reruns": reruns, "parent": parent, "rerun_of": rerun_of}


def _trace(request: HttpRequest, run: Run, can_operate: bool) -> dict[str, Any]:
    spans = list(run.spans.all()[:SPAN_LIMIT])
    logs = list(run.log_records.all()[:SPAN_LIMIT])
    raw = [
        {
            "trace_id": s.trace_id,
            "span_id": s.span_id,
            "parent_span_id": s.parent_span_id,
            "name": s.name,
            "kind": s.kind,
            "status": s.status,
            "started_at": s.started_at,
            "ended_at": s.ended_at,
            "attributes": s.attributes,
        }
        for s in spans
    ]
    return {
        "bars": waterfall(spans, logs),
        "raw_spans": raw,
        "logs": logs,
        "span_limit": SPAN_LIMIT,
    }


TAB_CONTEXT = {"overview": _overview, "steps": _steps, "metadata": _metadata, "trace": _trace}
