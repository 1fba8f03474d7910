"""The "Waiting on people" view: every hook of the organization that waits for an answer."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from ..models.accounts import Role
from ..waits import hook_name, open_hooks
from .common import actor_or_403


@login_required
@require_safe
def waiting_on_people(request: HttpRequest) -> HttpResponse:
    actor = actor_or_403(request)
    hooks = [(step, hook_name(step.step_id)) for step in open_hooks(actor.organization)]
    # Operators answer in the run's Overview, as themselves; no page here holds a token.
    context = {"hooks": hooks, "can_answer": actor.can(Role.OPERATOR)}
    return render(request, "history/waiting.html", context)
