"""The counts per status above the run list, loaded after the list (hx-trigger="load") with the
list's query string, each a link that narrows the list to its status."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..counts import StatusCount, count_by_status, rounded
from ..filters import RETRYING, RunFilter
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
    renamed = retrying_only(filterset.form.cleaned_data.get("status") or [])
    links = []
    for count in count_by_status(filterset.qs).statuses:
        if not count.count:
            continue
        status, label = renamed.get(count.status, (count.status, count.label))
        links.append(
            {
                "status": status,
                "label": label,
                "text": shown(count),
                "query": f"{base}&status={status}" if base else f"status={status}",
                "title": explained(count),
            }
        )
    return render(request, "history/_status_counts.html", {"links": links})


def retrying_only(requested: list[str]) -> dict[str, tuple[str, str]]:
    """With ``retrying`` asked for and not ``sleeping``, the sleeping runs counted are the
    retrying ones: their link says so and keeps listing them, not every sleeping run."""
    if RETRYING in requested and Run.Status.SLEEPING not in requested:
        return {Run.Status.SLEEPING: (RETRYING, "Retrying")}
    return {}
