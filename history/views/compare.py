from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from ..access import get_run_for_actor
from ..compare import compare_runs, payload_diffs
from ..models.runs import parse_run_id
from .common import actor_or_403


@login_required
@require_safe
def compare_picked(request: HttpRequest) -> HttpResponse:
    """The list's two ticked rows, or a run page's "Compare with…": ``pick`` twice."""
    # A run's address pasted whole names the run too: its last path segment is the id.
    picks = [p.strip().rstrip("/").rsplit("/", 1)[-1] for p in request.GET.getlist("pick")]
    picks = [pick for pick in picks if pick]
    if len(picks) != 2:
        return _refused(
            request,
            f"pick names {len(picks)} runs: tick exactly two runs to compare, or give one run id "
            "to compare this run with.",
        )
    for pick in picks:
        try:
            parse_run_id(pick)
        except ValueError as exc:
            return _refused(request, f"pick: {exc}")
    return HttpResponseRedirect(reverse("history:compare", args=picks))


def _refused(request: HttpRequest, message: str) -> HttpResponse:
    # Said on the page: a person typed the id, and the generic 400 page would not say which.
    return render(request, "400.html", {"message": message}, status=400)


@login_required
@require_safe
def compare(request: HttpRequest, run_id: str, other_id: str) -> HttpResponse:
    actor = actor_or_403(request)
    comparison = compare_runs(get_run_for_actor(actor, run_id), get_run_for_actor(actor, other_id))
    context = {
        "comparison": comparison,
        "sides": [("A", comparison.a), ("B", comparison.b)],
        "payloads": payload_diffs(comparison),
    }
    return render(request, "history/compare.html", context)
