from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from ..access import get_run_for_actor
from ..markdown import CONTENT_TYPE, run_markdown
from .common import actor_or_403


@login_required
@require_safe
def run_markdown_view(request: HttpRequest, run_id: str) -> HttpResponse:
    """The run as Markdown: read by the Copy as Markdown button, saved by the download link."""
    run = get_run_for_actor(actor_or_403(request), run_id)
    response = HttpResponse(
        run_markdown(run, request.build_absolute_uri), content_type=CONTENT_TYPE
    )
    if "download" in request.GET:
        response["Content-Disposition"] = f'attachment; filename="{run.public_id}.md"'
    return response
