"""The admin's trigger rows, which need the engine: their targets, next fire times and audited
switches. Runs' admin is History's; it cancels through history.run_actions."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from history.access import Actor
from history.admin_scope import OrganizationScoped, organization_admin
from history.models import TriggerState
from history.models.accounts import Role

from .errors import NotHere, UnknownTrigger
from .registry import registry
from .triggers.cron import next_slot
from .triggers.state import set_enabled


@admin.register(TriggerState)
class TriggerAdmin(OrganizationScoped, admin.ModelAdmin):
    """The project's triggers per organization: state, next fire time, last run; switched by audited
    actions.
    """

    list_display = [
        "key",
        "organization",
        "kind",
        "targets",
        "enabled",
        "next_fire_at",
        "last_fired_at",
        "last_run",
        "last_error",
    ]
    list_filter = ["enabled", "organization"]
    list_select_related = ["organization", "last_run"]
    search_fields = ["key"]
    actions = ["enable_selected", "disable_selected"]
    exclude = ["secret"]  # admins see it with `keystroke triggers secret`, set and rotate it there

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # triggers are defined in the project's triggers/ folder

    def get_readonly_fields(
        self, request: HttpRequest, obj: TriggerState | None = None
    ) -> list[str]:
        return [f.name for f in TriggerState._meta.fields if f.name != "secret"]

    @admin.display(description="Type")
    def kind(self, row: TriggerState) -> str:
        trigger = registry.triggers.get(row.key.partition(":")[0])
        return trigger.type if trigger else "(no longer defined)"

    @admin.display(description="Starts")
    def targets(self, row: TriggerState) -> str:
        trigger = registry.triggers.get(row.key.partition(":")[0])
        return (
            ", ".join(
                a.target.slug for a in trigger.attachments if a.id == row.key or ":" not in row.key
            )
            if trigger
            else ""
        )

    @admin.display(description="Next fire time")
    def next_fire_at(self, row: TriggerState) -> Any:
        trigger = registry.triggers.get(row.key.partition(":")[0])
        cron = getattr(trigger, "cron", None)
        return (
            next_slot(cron, trigger.zone, timezone.now()) if cron and trigger is not None else "—"
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return (
            False  # a row holds a poll's cursor and a webhook's secret: deleting it would lose both
        )

    def has_switch_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_superuser or organization_admin(request))

    @admin.action(description="Enable selected triggers", permissions=["switch"])
    def enable_selected(self, request: HttpRequest, queryset: QuerySet[TriggerState]) -> None:
        self._switch(request, queryset, on=True)

    @admin.action(description="Disable selected triggers", permissions=["switch"])
    def disable_selected(self, request: HttpRequest, queryset: QuerySet[TriggerState]) -> None:
        self._switch(request, queryset, on=False)

    def _switch(self, request: HttpRequest, queryset: QuerySet[TriggerState], on: bool) -> None:
        switched, refused = 0, []
        for row in queryset.select_related("organization"):
            actor = Actor(
                row.organization,
                Role.ADMIN,
                f"admin:{request.user.get_username()}",
                user=request.user,
            )
            try:
                set_enabled(actor, row.key, on)
                switched += 1
            except (UnknownTrigger, NotHere) as exc:
                refused.append(str(exc))
        self.message_user(request, f"{'Enabled' if on else 'Disabled'} {switched} trigger(s).")
        if refused:
            self.message_user(request, " ".join(refused), messages.WARNING)
