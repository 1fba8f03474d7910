"""Answering a hook from History: the form on a waiting run's Overview, for operators."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from .. import run_actions
from ..access import get_run_for_actor
from ..errors import field_errors
from ..hook_forms import SchemaGone, build_form, hook_schema, read_payload
from ..jsonbody import BadJSON
from ..models import Step
from ..models.accounts import Role
from ..waits import hook_name
from .common import actor_or_403
from .detail import render_detail


@login_required
@require_POST
def answer_hook(request: HttpRequest, run_id: str, position: int) -> HttpResponse:
    """Resume the run's open hook at ``position`` with the form's answer, audited as the user; a
    refused answer shows the form again with the errors next to its fields (400)."""
    actor = actor_or_403(request)
    if not actor.can(Role.OPERATOR):
        raise PermissionDenied("Answering a hook needs the operator role.")
    run = get_run_for_actor(actor, run_id)
    overview = f"{run.get_absolute_url()}?tab=overview"
    step = run.steps.filter(
        kind=Step.Kind.HOOK, status=Step.Status.WAITING, position=position
    ).first()
    if step is None:
        messages.error(request, f"Run {run.public_id} no longer waits on that hook.")
        return redirect(overview)
    name = hook_name(step.step_id)
    submitted = {k: str(v) for k, v in request.POST.items() if k != "csrfmiddlewaretoken"}
    try:
        schema = hook_schema(step)
        run_actions.resume_hook(step, read_payload(schema, submitted), actor)
    except (run_actions.Refused, SchemaGone) as exc:
        messages.error(request, str(exc))
        return redirect(overview)
    except BadJSON as exc:
        errors = {"(body)": [str(exc)]}
    except ValidationError as exc:
        errors = field_errors(exc)
    else:
        messages.success(request, f"Answered hook {name}: run {run.public_id} goes on.")
        return redirect(overview)
    # Shown again as typed, less what cannot be shown (a NUL).
    shown = {k.replace("\x00", ""): v.replace("\x00", "") for k, v in submitted.items()}
    corrected = {step.position: build_form(schema, shown, errors)}
    return render_detail(request, actor, run, "overview", status=400, answering=corrected)
