"""Retry from here: a step row's form for a new run from that step, with the input as JSON to
edit; operators only, on runs that have ended. The engine copies the earlier steps and audits it
(history.run_actions)."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from .. import run_actions
from ..access import get_run_for_actor
from ..errors import BadInput, BadJSON, Refused
from ..jsonbody import parse_json
from ..models.accounts import Role
from .common import actor_or_403


@login_required
@require_http_methods(["GET", "POST"])
def retry_from_step(request: HttpRequest, run_id: str, position: int) -> HttpResponse:
    actor = actor_or_403(request)
    if not actor.can(Role.OPERATOR):
        raise PermissionDenied("Retrying a run from a step needs the operator role.")
    run = get_run_for_actor(actor, run_id)
    step = get_object_or_404(run.steps, position=position, parent_position__isnull=True)
    context: dict[str, Any] = {"run": run, "step": step, "errors": {}, "refused": ""}
    context["input"] = json.dumps(run.input, indent=2, ensure_ascii=False)
    if request.method == "GET":
        return render(request, "history/retry_from_step.html", context)
    context["input"] = text = request.POST.get("input", "")
    try:
        new = run_actions.retry_from_step(run, actor, step.step_id, parse_json(text.encode()))
    except BadJSON as exc:
        context["errors"] = {"input": [str(exc).replace("The body is", "The input is")]}
    except BadInput as exc:
        context["errors"] = exc.fields
    except Refused as exc:
        context["refused"] = str(exc)
    else:
        messages.success(request, f"Started {new.public_id}, a retry from {step.step_id}.")
        return redirect(f"{new.get_absolute_url()}?tab=steps")
    return render(request, "history/retry_from_step.html", context, status=400)
