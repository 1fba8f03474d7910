"""The Workspace tab of a run (its files at any step that changed them) and a file's download."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_safe

from .. import workspace_view
from ..access import get_run_for_actor
from ..models import Run
from ..workspace_files import WorkspaceFileMissing
from .common import actor_or_403


def workspace_context(request: HttpRequest, run: Run, can_operate: bool) -> dict[str, Any]:
    choices = workspace_view.states(run)
    at = request.GET.get("at")
    state = _state(run, at) if at else choices[0] if choices else None
    context: dict[str, Any] = {"states": choices, "state": state, "files": [], "viewing": None}
    if state is None:
        return context
    try:
        manifest = workspace_view.manifest_of(run, state)
        context["files"] = workspace_view.files(manifest)
        path = request.GET.get("file")
        if path:
            context["viewing"] = workspace_view.text_view(run, state, manifest, path)
    except WorkspaceFileMissing as exc:
        context["missing"] = str(exc)
    except LookupError as exc:
        raise Http404(str(exc)) from None
    return context


def _state(run: Run, at: str) -> workspace_view.State:
    try:
        return workspace_view.state_at(run, at)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    except LookupError as exc:
        raise Http404(str(exc)) from None


@login_required
@require_safe
def workspace_file(request: HttpRequest, run_id: str, position: int) -> FileResponse:
    """A workspace file as step ``position`` left it (``?path=``), always as a download: served
    inline, an HTML file written by a step would run in History's origin."""
    actor = actor_or_403(request)
    run = get_run_for_actor(actor, run_id)
    path = request.GET.get("path", "")
    state = _state(run, str(position))
    try:
        content = workspace_view.open_file(run, state, path)
    except LookupError as exc:  # no such file, or its content is gone from the storage
        raise Http404(str(exc)) from None
    name = PurePosixPath(path).name or "file"
    return FileResponse(
        content, as_attachment=True, filename=name, content_type="application/octet-stream"
    )
