"""The Run admin's "Cancel selected runs" action, which needs the engine's cancel_run."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from history.access import Actor
from history.admin import RunAdmin
from history.models import Run
from history.models.accounts import Role

from .runs import InvalidState, cancel_run

admin.site.unregister(Run)


@admin.register(Run)
class EngineRunAdmin(RunAdmin):
    actions = ["cancel_selected"]

    @admin.action(description="Cancel selected runs")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        canceled = skipped = 0
        for run in queryset.select_related("organization"):
            actor = Actor(run.organization, Role.ADMIN, f"admin:{request.user.get_username()}", user=request.user)
            try:
                cancel_run(run, actor)
                canceled += 1
            except InvalidState:
                skipped += 1
        level = messages.SUCCESS if canceled else messages.WARNING
        self.message_user(request, f"Canceled {canceled} run(s); skipped {skipped} that had already finished.", level)
