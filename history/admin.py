"""The admin's pages of the record. Triggers' rows are the engine's (workflows.admin): their
switches need it."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import run_actions
from .access import Actor
from .admin_scope import OrganizationScoped
from .models import ApiKey, AuditEvent, Membership, Organization, Project, Run, Step
from .models.accounts import DEFAULT_SLUG, Role


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "created_at"]

    # Schedules, polls and the CLI's default find the default organization by its slug.
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["slug"] if obj is not None and obj.slug == DEFAULT_SLUG else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or obj.slug != DEFAULT_SLUG


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role", "organization"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "organization"]

    # Runs started without a project go to the organization's default one.
    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["slug", "organization"] if obj is not None and obj.slug == DEFAULT_SLUG else []

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or obj.slug != DEFAULT_SLUG


@admin.register(ApiKey)
class ApiKeyAdmin(OrganizationScoped, admin.ModelAdmin):
    list_display = [
        "name",
        "prefix",
        "organization",
        "role",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = ["prefix", "hashed_key", "last_used_at"]

    # The hash of a key is for superusers: an organization admin sees its prefix.
    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)
        return fields if request.user.is_superuser else [f for f in fields if f != "hashed_key"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else [f for f in fields if f != "hashed_key"]


class Recorded:
    """Runs and steps are written by the engine's store only: the admin shows them, and cancels runs
    through the engine's run actions.
    """

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StepInline(OrganizationScoped, admin.TabularInline):
    model = Step
    fk_name = "run"
    organization_field = "run__organization"
    fields = ("position", "step_id", "kind", "status", "started_at", "finished_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(Run)
class RunAdmin(Recorded, OrganizationScoped, admin.ModelAdmin):
    def view_on_site(self, run: Run) -> str:  # straight to History, not through /admin/r/
        return run.get_absolute_url()

    list_display = [
        "uid",
        "slug",
        "kind",
        "status",
        "trigger_label",
        "actor",
        "created_at",
        "duration_ms",
    ]
    list_filter = ["status", "kind", "trigger_type"]
    search_fields = ["slug", "uid"]
    raw_id_fields = ["parent", "rerun_of", "actor_user", "actor_api_key"]
    inlines = [StepInline]
    actions = ["cancel_selected"]

    @admin.action(description="Cancel selected runs")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[Run]) -> None:
        canceled = skipped = 0
        for run in queryset.select_related("organization"):
            actor = Actor(
                run.organization,
                Role.ADMIN,
                f"admin:{request.user.get_username()}",
                user=request.user,
            )
            try:
                run_actions.perform("cancel", run, actor)
                canceled += 1
            except run_actions.Refused:
                skipped += 1
        level = messages.SUCCESS if canceled else messages.WARNING
        self.message_user(
            request,
            f"Canceled {canceled} run(s); skipped {skipped} that had already finished.",
            level,
        )


@admin.register(Step)
class StepAdmin(Recorded, OrganizationScoped, admin.ModelAdmin):
    organization_field = "run__organization"
    list_display = ["step_id", "run", "kind", "status", "finished_at"]
    list_filter = ["kind", "status"]
    raw_id_fields = ["run", "child_run"]


@admin.register(AuditEvent)
class AuditEventAdmin(OrganizationScoped, admin.ModelAdmin):
    list_display = ["created_at", "actor", "action", "target"]
    list_filter = ["action"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
