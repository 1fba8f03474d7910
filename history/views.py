"""History pages: the run list and a run's detail, scoped to the user's organization."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .access import Actor, actor_for_request, get_run_for_actor
from .filters import RunFilter
from .models import Run

PAGE_SIZE = 50


def _actor(request: HttpRequest) -> Actor:
    actor = actor_for_request(request)
    if actor is None:
        raise PermissionDenied("Your account belongs to no organization: ask an admin to add you.")
    return actor


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    actor = _actor(request)
    runs = Run.objects.for_organization(actor.organization.pk).recent_for_list()
    filterset = RunFilter(request.GET, queryset=runs)
    if not filterset.is_valid():
        return render(request, "history/run_list.html", {"filter": filterset, "runs": []}, status=400)
    return render(request, "history/run_list.html", {"filter": filterset, "runs": filterset.qs[:PAGE_SIZE]})


@login_required
def run_detail(request: HttpRequest, run_id: str) -> HttpResponse:
    run = get_run_for_actor(_actor(request), run_id)
    steps = run.steps.all()[:500]
    return render(request, "history/run_detail.html", {"run": run, "steps": steps})
