from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from ..access import get_run_for_actor
from ..payloads import as_json, as_yaml
from .common import actor_or_403

RUN_FIELDS = ("input", "output", "error", "conversation", "trigger_raw")
STEP_FIELDS = ("input", "output", "error", "attempts")


def _download(request: HttpRequest, value: Any, name: str) -> HttpResponse:
    fmt = request.GET.get("format", "json")
    if fmt not in ("json", "yaml"):
        raise BadRequest("format must be json or yaml.")
    text = as_json(value) if fmt == "json" else as_yaml(value)
    content_type = "application/json" if fmt == "json" else "application/yaml"
    response = HttpResponse(text, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@login_required
@require_safe
def run_payload(request: HttpRequest, run_id: str, field: str) -> HttpResponse:
    """The whole of a run's payload, for those too large to show on the page."""
    if field not in RUN_FIELDS:
        raise Http404(f"A run has no payload named {field!r}.")
    actor = actor_or_403(request)
    run = get_run_for_actor(actor, run_id)
    return _download(request, getattr(run, field), f"{run.public_id}-{field}")


@login_required
@require_safe
def step_payload(request: HttpRequest, run_id: str, position: int, field: str) -> HttpResponse:
    if field not in STEP_FIELDS:
        raise Http404(f"A step has no payload named {field!r}.")
    actor = actor_or_403(request)
    run = get_run_for_actor(actor, run_id)
    step = run.steps.filter(position=position).first()
    if step is None:
        raise Http404(f"Run {run.public_id} has no step at position {position}.")
    return _download(request, getattr(step, field), f"{run.public_id}-step{position}-{field}")
