from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..access import Actor, get_run_for_actor
from ..conversation import display_messages
from ..hook_forms import HookForm, SchemaGone, build_form, hook_schema
from ..models import Run, Step, UsageItem
from ..models.accounts import Role
from ..pauses import held_by
from ..templatetags.history_tags import step_state
from ..waits import WAITING_RUNS, hook_name, waits_of
from .common import actor_or_403
from .trace import trace_context
from .workspace import workspace_context

TABS = ("overview", "steps", "metadata", "trace")
WORKSPACE_TABS = (*TABS, "workspace")  # for runs whose workflow has a workspace
STEPS_PER_PAGE = 50


@login_required
@require_safe
def run_detail(request: HttpRequest, run_id: str) -> HttpResponse:
    actor = actor_or_403(request)
    run = get_run_for_actor(actor, run_id)
    tab = request.GET.get("tab", "overview")
    tabs = tabs_of(run)
    if tab not in tabs:
        raise BadRequest(f"tab={tab!r} is not a tab: choose one of {', '.join(tabs)}.")
    if request.GET.get("part") == "live" and not run.is_terminal:
        return _live(request, actor, run, tab)
    response = render_detail(request, actor, run, tab)
    if request.GET.get("part") == "live":
        # It ended since the page was drawn: the whole panel once, with its output; the new
        # panel polls no more.
        response["HX-Retarget"], response["HX-Reswap"] = "#panel", "innerHTML"
    return response


def tabs_of(run: Run) -> tuple[str, ...]:
    return WORKSPACE_TABS if run.has_workspace else TABS


def _live(request: HttpRequest, actor: Actor, run: Run, tab: str) -> HttpResponse:
    """What changes while a run goes on: its header, and on the Steps tab the rows of the page
    that the browser does not have as they are now (``rows`` lists ``position:state``)."""
    context: dict[str, Any] = {
        "run": run,
        "waits": waits_of([run]).get(run.pk, []),
        "held_by": held_by(run),
        "tab": tab,
        "can_operate": actor.can(Role.OPERATOR),
        "oob": True,
    }
    if tab == "overview" and context["can_operate"]:
        # Hook forms come again only when the hooks waiting changed, so typing is never lost.
        context["hook_forms"] = _hook_forms(run, {})
        open_now = ",".join(str(step.position) for _, step, _ in context["hook_forms"])
        context["hooks_changed"] = request.GET.get("hooks", "") != open_now
    if tab == "steps":
        context |= _steps(request, run, context["can_operate"])
        known = _known_rows(request.GET.get("rows", ""))
        changed = [s for s in context["steps"] if known.get(s.position) != step_state(s)]
        context["changed"] = [s for s in changed if s.position in known]
        context["new"] = [s for s in changed if s.position not in known]
        context["had_none"] = not known
    return render(request, "history/_live.html", context)


def _known_rows(value: str) -> dict[int, str]:
    """The browser's step rows, ``12:success.1,13:running.0``; what is not one is left out."""
    rows = {}
    for item in value.split(",")[: STEPS_PER_PAGE * 2]:
        position, _, state = item.partition(":")
        if position.isascii() and position.isdigit():
            rows[int(position)] = state
    return rows


def render_detail(
    request: HttpRequest,
    actor: Actor,
    run: Run,
    tab: str,
    status: int = 200,
    answering: Mapping[int, HookForm] | None = None,
) -> HttpResponse:
    """The run's page, or its panel for htmx; ``answering`` holds hook forms being corrected."""
    can_operate = actor.can(Role.OPERATOR)
    context: dict[str, Any] = {
        "run": run,
        "waits": waits_of([run]).get(run.pk, []),
        "held_by": held_by(run),
        "tab": tab,
        "tabs": tabs_of(run),
        "can_operate": can_operate,
    }
    context |= TAB_CONTEXT[tab](request, run, can_operate)
    if tab == "overview" and can_operate:
        context["hook_forms"] = _hook_forms(run, answering or {})
    partial = request.headers.get("HX-Request") and not request.headers.get(
        "HX-History-Restore-Request"
    )
    template = "history/_run_panel.html" if partial else "history/run_detail.html"
    return render(request, template, context, status=status)


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


def _hook_forms(run: Run, answering: Mapping[int, HookForm]) -> list[tuple[str, Step, HookForm]]:
    """An operator's form for each hook the run waits on, generated from the hook's schema."""
    if run.status not in WAITING_RUNS:
        return []
    hooks = run.steps.filter(kind=Step.Kind.HOOK, status=Step.Status.WAITING).order_by("position")
    forms = []
    for step in hooks:
        try:
            form = answering.get(step.position) or build_form(hook_schema(step), {})
        except SchemaGone as exc:
            form = HookForm([], gone=str(exc))
        forms.append((hook_name(step.step_id), step, form))
    return forms


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
    return trace_context(request, run)


TAB_CONTEXT = {
    "overview": _overview,
    "steps": _steps,
    "metadata": _metadata,
    "trace": _trace,
    "workspace": workspace_context,
}
