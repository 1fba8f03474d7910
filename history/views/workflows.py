"""The organization's workflows and agents: each one's state and queued runs, with Pause and
Resume for operators (the engine does them and audits them, through history.pauses)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from .. import pauses
from ..models.accounts import Role
from .common import actor_or_403

REASON_LIMIT = 500
DONE = {
    "pause": (
        "Paused {slug}: its queued and new runs wait until it is resumed.",
        "{slug} was already paused.",
    ),
    "resume": ("Resumed {slug}: its queued runs go to the workers.", "{slug} was not paused."),
}


@login_required
@require_safe
def workflow_list(request: HttpRequest) -> HttpResponse:
    actor = actor_or_403(request)
    context = {"rows": pauses.rows(actor.organization), "can_operate": actor.can(Role.OPERATOR)}
    return render(request, "history/workflows.html", context)


@login_required
@require_POST
def workflow_action(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    actor = actor_or_403(request)
    if not actor.can(Role.OPERATOR):
        raise PermissionDenied("Pause and resume need the operator role.")
    if slug not in {target.slug for target in pauses.targets()}:
        raise Http404(f"No workflow or agent {slug!r} is registered.")
    reason = request.POST.get("reason", "").strip()
    if len(reason) > REASON_LIMIT:
        messages.error(request, f"The reason is {len(reason)} characters; keep it to 500.")
        return redirect("history:workflow-list")
    changed = pauses.change(action, actor, slug, reason)
    done, unchanged = DONE[action]
    (messages.success if changed else messages.info)(
        request, (done if changed else unchanged).format(slug=slug)
    )
    return redirect("history:workflow-list")
