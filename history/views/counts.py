"""The counts per status above the run list, loaded after the list (hx-trigger="load") with the
list's query string, each a link that narrows the list to its status."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..counts import StatusCount, count_by_status, rounded
from ..filters import RunFilter
from ..models import Run
from .common import actor_or_403, query_without

ESTIMATED = (
    "More than {cap:,} runs: the count stops there and this is the database's estimate, "
    "so that counting stays fast at millions of runs."
)
OVER_CAP = "More than {cap:,} runs: the count stops there, so that it stays fast."


def shown(count: StatusCount) -> str:
    if count.exact:
        return f"{count.count:,}"
    if count.estimate is not None:
        return f"≈ {rounded(count.estimate, above=count.count):,}"
    return f"more than {count.count:,}"


def explained(count: StatusCount) -> str:
    if count.exact:
        return ""
    return (ESTIMATED if count.estimate is not None else OVER_CAP).format(cap=count.count)


@login_required
@require_safe
def run_counts(request: HttpRequest) -> HttpResponse:
    actor = actor_or_403(request)
    runs = Run.objects.for_organization(actor.organization.pk)
    filterset = RunFilter(request.GET, queryset=runs, request=request)
    if not filterset.is_valid():
        # The list shows the filter's errors itself.
        return HttpResponse(status=400)
    base = query_without(request.GET, "status", "before", "partial")
    links = [
        {
            "count": count,
            "text": shown(count),
            "query": f"{base}&status={count.status}" if base else f"status={count.status}",
            "title": explained(count),
        }
        for count in count_by_status(filterset.qs).statuses
        if count.count
    ]
    return render(request, "history/_status_counts.html", {"links": links})
