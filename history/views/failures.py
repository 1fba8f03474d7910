"""Failures: the failed runs of the list's filters grouped by error type and message
fingerprint, the most frequent first, each group a link to its runs in the list."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..failures import PAGE_ERROR, failure_filters, failure_groups, page_number
from ..filters import RunFilter
from ..models import Run
from .common import actor_or_403, query_without


@login_required
@require_safe
def failure_list(request: HttpRequest) -> HttpResponse:
    actor = actor_or_403(request)
    runs = Run.objects.for_organization(actor.organization.pk)
    filterset = RunFilter(failure_filters(request.GET), queryset=runs, request=request)
    # The groups' links keep the filters and add their own status and fingerprint.
    kept = query_without(request.GET, "status", "fingerprint", "page", "before", "partial")
    number = page_number(request.GET)
    context: dict[str, Any] = {
        "filter": filterset,
        "projects": actor.organization.projects.values_list("slug", flat=True),
        "kept": kept,
        "page": None,
        "page_error": PAGE_ERROR if number is None else "",
    }
    if not filterset.is_valid() or number is None:
        return render(request, "history/failures.html", context, status=400)
    context["page"] = failure_groups(filterset.qs, number)
    context["query"] = query_without(request.GET, "page")
    return render(request, "history/failures.html", context)
