"""The Trace tab's parts that load on their own: more timeline rows, a child run's timeline,
filtered logs, and the export."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .. import timeline, trace_logs
from ..access import get_run_for_actor
from ..markdown import CONTENT_TYPE
from ..models import Run
from ..payloads import as_yaml
from ..trace_export import RAW_SPANS, raw_spans, trace_document, trace_markdown
from .common import actor_or_403


def trace_context(request: HttpRequest, run: Run) -> dict[str, Any]:
    """The first page of the timeline and of the logs, as the tab shows them."""
    chosen = trace_logs.parse_filter(request.GET)
    logs, log_after = trace_logs.page(run, chosen, request.GET.get("log_after", ""))
    return {
        "timeline": timeline.page(run, request.GET.get("after", "")),
        "logs": logs,
        "log_after": log_after,
        "log_filter": chosen,
        "log_levels": trace_logs.LEVELS,
        "log_statuses": trace_logs.STATUSES,
        "step_kinds": run.steps.model.Kind.values,
        "nest": 0,
        "indent": 0,
    }


@login_required
@require_safe
def trace_rows(request: HttpRequest, run_id: str) -> HttpResponse:
    """More rows of a run's timeline (``after``), or a child run's own timeline: ``nest`` is its
    level below the run the tab shows, ``indent`` how deep its rows are drawn."""
    run = get_run_for_actor(actor_or_403(request), run_id)
    context = {
        "run": run,
        "timeline": timeline.page(run, request.GET.get("after", "")),
        "nest": _whole(request, "nest", timeline.MAX_NEST),
        "indent": _whole(request, "indent", timeline.MAX_INDENT),
    }
    return render(request, "history/_trace_rows.html", context)


def _whole(request: HttpRequest, name: str, most: int) -> int:
    value = request.GET.get(name, "0")
    if not (value.isascii() and value.isdigit()) or int(value) > most:
        raise BadRequest(f"{name} must be a whole number from 0 to {most}.")
    return int(value)


@login_required
@require_safe
def trace_log_rows(request: HttpRequest, run_id: str) -> HttpResponse:
    run = get_run_for_actor(actor_or_403(request), run_id)
    chosen = trace_logs.parse_filter(request.GET)
    logs, log_after = trace_logs.page(run, chosen, request.GET.get("log_after", ""))
    context = {"run": run, "logs": logs, "log_after": log_after, "log_filter": chosen}
    return render(request, "history/_trace_logs.html", context)


@login_required
@require_safe
def trace_spans(request: HttpRequest, run_id: str) -> HttpResponse:
    """The run's first spans as stored, with the JSON/YAML toggle and Copy: loaded when the
    tab's Raw spans disclosure opens, so a big run's tab does not carry them."""
    run = get_run_for_actor(actor_or_403(request), run_id)
    spans, more = raw_spans(run)
    context = {"run": run, "spans": spans, "more": more, "limit": RAW_SPANS}
    return render(request, "history/_trace_spans.html", context)


@login_required
@require_safe
def trace_download(request: HttpRequest, run_id: str) -> HttpResponse:
    """The trace as a file: JSON (``format=json``, the default), its YAML (``format=yaml``, the
    Raw spans' download link) or Markdown (``format=md``)."""
    run = get_run_for_actor(actor_or_403(request), run_id)
    fmt = request.GET.get("format", "json")
    if fmt == "md":
        body, content_type = trace_markdown(run, request.build_absolute_uri), CONTENT_TYPE
    elif fmt == "json":
        body = json.dumps(trace_document(run), cls=DjangoJSONEncoder, indent=2)
        content_type = "application/json"
    elif fmt == "yaml":
        body, content_type = as_yaml(trace_document(run)), "application/yaml"
    else:
        raise BadRequest(f"format={fmt!r} is not known: choose json, yaml or md.")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{run.public_id}.trace.{fmt}"'
    return response
