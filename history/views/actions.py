"""History's Cancel, Retry and Rerun buttons: operators only; the engine does them and audits
them (history.run_actions)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from .. import run_actions
from ..access import actor_for_request, get_run_for_actor
from ..models.accounts import Role

DONE = {
    "cancel": "Canceled {run}.",
    "retry": "Retrying {run} (attempt {attempt}).",
    "rerun": "Started {run}, a rerun.",
}


@login_required
@require_POST
def run_action(request: HttpRequest, run_id: str, action: str) -> HttpResponse:
    actor = actor_for_request(request)
    if actor is None or not actor.can(Role.OPERATOR):
        raise PermissionDenied("Cancel, retry and rerun need the operator role.")
    run = get_run_for_actor(actor, run_id)
    try:
        result = run_actions.perform(action, run, actor)
    except run_actions.Refused as exc:
        messages.error(request, str(exc))
        return redirect(f"{run.get_absolute_url()}?tab=overview")
    messages.success(request, DONE[action].format(run=result.public_id, attempt=result.attempt))
    return redirect(f"{result.get_absolute_url()}?tab=overview")
