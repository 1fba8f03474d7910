"""Which rows of the Django admin an organization's admins see: their organization's only."""

from __future__ import annotations

from typing import Any

from django.db.models import Model, QuerySet

from .access import Actor, actor_for_request
from .models.accounts import Role


def organization_admin(request: Any) -> Actor | None:
    """The actor of a signed-in organization admin (not a superuser); None otherwise."""
    user = request.user
    if not user.is_active or user.is_superuser:
        return None
    actor = actor_for_request(request)
    return actor if actor is not None and actor.can(Role.ADMIN) else None


class OrganizationScoped:
    """A model admin an organization admin may open, showing only their organization's rows;
    ``organization_field`` is the lookup from the model to its organization.
    """

    organization_field = "organization"

    def get_queryset(self, request: Any) -> QuerySet[Any]:
        rows: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        if request.user.is_superuser:
            return rows
        actor = organization_admin(request)
        if actor is None:
            return rows.none()
        return rows.filter(**{self.organization_field: actor.organization})

    def has_module_permission(self, request: Any) -> bool:
        return bool(request.user.is_superuser or organization_admin(request))

    def has_view_permission(self, request: Any, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser or organization_admin(request))

    # Below superuser the admin shows, it never adds, edits or deletes; actions do the changes.
    def has_add_permission(self, request: Any, *args: Any) -> bool:
        return bool(request.user.is_superuser) and super().has_add_permission(request, *args)  # type: ignore[misc]

    def has_change_permission(self, request: Any, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser) and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: Any, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser) and super().has_delete_permission(request, obj)  # type: ignore[misc]

    def get_list_filter(self, request: Any) -> Any:
        """No filter by organization below superuser: its choices would name the others."""
        filters = super().get_list_filter(request)  # type: ignore[misc]
        if request.user.is_superuser:
            return filters
        return [f for f in filters if f != self.organization_field]
