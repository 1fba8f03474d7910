from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User  # login_required: never the anonymous user
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..choices import workflow_choices
from ..filters import RunFilter
from ..models import Run, SavedView
from ..models.accounts import Role
from ..pagination import BadCursor, page_after
from ..pauses import with_held_by
from ..waits import waits_of
from .common import actor_or_403, query_without

# Large JSON columns the list never shows: left unread.
HEAVY = ("input", "output", "error", "conversation", "trigger_raw")
COLUMNS = [
    ("name", "Name", False),
    ("type", "Type", False),
    ("status", "Status", False),
    ("trigger", "Trigger", False),
    ("actor", "Actor", False),
    ("started", "Started", False),
    ("duration", "Duration", False),
    ("cost", "Cost", False),
    ("run_id", "Run ID", True),
    ("queue", "Queue time", True),
    ("finished", "Finished", True),
    ("models", "Models", True),
    ("services", "Services", True),
    ("steps", "Steps", True),
]
BUILTIN_VIEWS = [
    ("Failed", "status=failed"),
    ("Running", "status=queued&status=running&status=sleeping&status=waiting"),
]


@login_required
@require_safe
def run_list(request: HttpRequest) -> HttpResponse:
    actor = actor_or_403(request)
    runs = Run.objects.for_organization(actor.organization.pk).recent_for_list().defer(*HEAVY)
    runs = with_held_by(runs)  # a queued run of a paused workflow says who paused it
    filterset = RunFilter(request.GET, queryset=runs, request=request)
    context: dict[str, Any] = {
        "filter": filterset,
        "columns": COLUMNS,
        "builtin_views": BUILTIN_VIEWS,
        "saved_views": SavedView.objects.filter(user=cast(User, request.user)),
        "query": query_without(request.GET, "before", "partial"),
        "slugs": workflow_choices(actor.organization.pk),
        "projects": actor.organization.projects.values_list("slug", flat=True),
        "runs": [],
        # The payload clauses, one a line, whether they came from the textarea or repeated.
        "where_text": "\n".join(v.strip() for v in request.GET.getlist("where") if v.strip()),
        # Operators select rows for bulk cancel and retry; the form carries the list's filters.
        "can_operate": actor.can(Role.OPERATOR),
        "filter_params": [
            (key, value)
            for key in request.GET
            if key not in ("before", "partial", "pick")  # ticked rows are the checkboxes' own
            for value in request.GET.getlist(key)
            if value
        ],
    }
    status = 200
    if not filterset.is_valid():
        status = 400
    else:
        try:
            page = page_after(filterset.qs, request.GET.get("before"))
            waits = waits_of(page.runs)
            for run in page.runs:
                run.waits = waits.get(run.pk, [])  # type: ignore[attr-defined]
            context |= {"runs": page.runs, "next_cursor": page.next_cursor}
            context["live"] = not request.GET.get("before") and any(
                r.status in Run.ACTIVE for r in page.runs
            )
        except BadCursor as exc:
            context["cursor_error"], status = str(exc), 400
    template = (
        "history/_run_rows.html"
        if request.GET.get("partial") == "rows"
        else "history/run_list.html"
    )
    return render(request, template, context, status=status)
