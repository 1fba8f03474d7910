"""History's bulk cancel and retry: the preview (count and required reason), the job page with its
progress and Stop button, and the list of jobs. Starting and stopping need the operator role;
the engine does both and audits them (history.bulk).
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from .. import bulk
from ..access import Actor
from ..errors import Refused
from ..jsonbody import BadJSON, parse_json
from ..models import AuditEvent, BulkJob
from ..models.accounts import Role
from .common import actor_or_403

# Parameters of the run list and of the bulk form that are not run filters.
# ``pick`` holds the ticked rows; ``id`` is a filter like the others (the list takes it too).
NOT_FILTERS = ("action", "all", "pick", "back", "before", "partial", "csrfmiddlewaretoken")
LISTED_JOBS = 50


def _operator(request: HttpRequest) -> Actor:
    actor = actor_or_403(request)
    if not actor.can(Role.OPERATOR):
        raise PermissionDenied("Bulk cancel and retry need the operator role.")
    return actor


def list_filter(query: QueryDict) -> dict[str, Any]:
    """The run list's filters as a bulk filter: one value as itself, repeated ones as a list."""
    found: dict[str, Any] = {}
    for key in query:
        values = [v for v in query.getlist(key) if v]
        if key not in NOT_FILTERS and values:
            found[key] = values if len(values) > 1 or key == "status" else values[0]
    return found


def _asked_filter(data: QueryDict) -> Any:
    """What the form asks for: the rows selected, all runs matching the list's filters, or (once
    previewed) the filter as JSON."""
    if "filter" in data:
        try:
            return parse_json(str(data["filter"]).encode("utf-8", "surrogatepass"), "The filter")
        except BadJSON as exc:
            raise bulk.BulkInputError("filter", str(exc)) from None
    if data.get("all") == "1":
        return list_filter(data)
    ids = [i for i in data.getlist("pick") if i]
    if not ids:
        raise bulk.BulkInputError(
            "pick", "Select runs first, or choose all runs matching the filter."
        )
    return {"id": ids}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def bulk_new(request: HttpRequest) -> HttpResponse:
    """GET: the preview of a bulk action; POST (with a reason): start it."""
    actor = _operator(request)
    data = request.POST if request.method == "POST" else request.GET
    try:
        found = bulk.preview(actor.organization.pk, data.get("action"), _asked_filter(data))
    except bulk.BulkInputError as exc:
        problem = {"problem": exc.message, "back": data.get("back", "")}
        return render(request, "history/bulk_preview.html", problem, status=400)
    context: dict[str, Any] = {
        "preview": found,
        "described": bulk.describe(found.filter),
        "filter_json": json.dumps(found.filter),
        "verb": bulk.DONE[found.action],
        "which": bulk.WHICH[found.action],
        "left_alone": found.matching - found.count,
        "reason": data.get("reason", ""),
        "back": data.get("back") or list_query(found.filter),
        "errors": {},
    }
    if request.method == "POST":
        try:
            job = bulk.start(actor, found.action, found.filter, data.get("reason"))
        except bulk.BulkInputError as exc:
            context["errors"] = {exc.field: exc.message}
            return render(request, "history/bulk_preview.html", context, status=400)
        messages.success(request, f"{found.action.capitalize()} of {job.count} runs started.")
        return redirect(job.get_absolute_url())
    return render(request, "history/bulk_preview.html", context)


def list_query(filter: dict[str, Any]) -> str:
    """The run list's query string for a bulk filter, for the way back."""
    query = QueryDict(mutable=True)
    for key, value in filter.items():
        query.setlist(key, value if isinstance(value, list) else [value])
    return query.urlencode()


@login_required
@require_safe
def bulk_count(request: HttpRequest) -> HttpResponse:
    """How many runs the list's filters match, for "all N runs matching this filter"."""
    actor = _operator(request)
    try:
        filter = bulk.normalize_filter(list_filter(request.GET))
    except bulk.BulkInputError:
        return HttpResponse("the")  # the list shows the filter's error itself
    matching = bulk.matching_runs(actor.organization.pk, filter).count()
    return HttpResponse(f"{matching:,}", content_type="text/plain; charset=utf-8")


@login_required
@require_safe
def bulk_job(request: HttpRequest, job_id: str) -> HttpResponse:
    actor = actor_or_403(request)
    job = bulk.get_job_for_actor(actor, job_id)
    context = {
        "job": job,
        "described": bulk.describe(job.filter),
        "verb": bulk.DONE[job.action],
        "can_operate": actor.can(Role.OPERATOR),
        "audit": [
            # The client's address stays with the admin's audit log.
            (event, {k: v for k, v in event.details.items() if k != "address"})
            for event in AuditEvent.objects.filter(
                organization=actor.organization, target=job.public_id
            ).order_by("created_at", "id")
        ],
    }
    partial = request.GET.get("partial") == "progress"
    template = "history/_bulk_progress.html" if partial else "history/bulk_job.html"
    return render(request, template, context)


@login_required
@require_POST
def bulk_stop(request: HttpRequest, job_id: str) -> HttpResponse:
    actor = _operator(request)
    job = bulk.get_job_for_actor(actor, job_id)
    try:
        job = bulk.stop(actor, job)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Stopped: {job.changed} runs {bulk.DONE[job.action]} so far.")
    return redirect(job.get_absolute_url())


@login_required
@require_safe
def bulk_jobs(request: HttpRequest) -> HttpResponse:
    actor = actor_or_403(request)
    jobs = BulkJob.objects.filter(organization=actor.organization).order_by("-created_at")
    rows = [(job, bulk.describe(job.filter)) for job in jobs[:LISTED_JOBS]]
    return render(request, "history/bulk_jobs.html", {"jobs": rows})
