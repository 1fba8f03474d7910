from __future__ import annotations

from typing import cast
from urllib.parse import unquote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User  # login_required: never the anonymous user
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from ..filters import RunFilter
from ..models import SavedView
from .common import actor_or_403


@login_required
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    actor_or_403(request)
    name = request.POST.get("name", "").strip()[:80]
    query = request.POST.get("query", "")[:2000]
    if "\x00" in name or "\x00" in unquote(query):
        return HttpResponseBadRequest(
            "A view's name and filters cannot hold a NUL character (%00); remove it."
        )
    if not name:
        messages.error(request, "Give the view a name.")
    elif not RunFilter(QueryDict(query)).is_valid():
        messages.error(request, "These filters are not valid, so they were not saved.")
    else:
        SavedView.objects.update_or_create(
            user=cast(User, request.user), name=name, defaults={"query": query}
        )
        messages.success(request, f"Saved the view “{name}”.")
    return redirect(f"/history/?{query}")


@login_required
@require_POST
def delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    view = get_object_or_404(SavedView, pk=pk, user=request.user)
    view.delete()
    messages.success(request, f"Deleted the view “{view.name}”.")
    return redirect("history:run-list")
