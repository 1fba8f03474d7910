"""Who may call the API: decisions only. Views find their actor through history.api.base."""

from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import BasePermission

from .access import Actor, actor_for_request

NO_CREDENTIALS = "Send an API key as `Authorization: Bearer <key>` or `X-Api-Key: <key>`."


class IsOrganizationMember(BasePermission):
    """Every API route: an API key, or a signed-in member of an organization."""

    def has_permission(self, request: Any, view: Any) -> bool:
        if actor_for_request(request) is not None:
            return True
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            raise PermissionDenied(
                "Your account belongs to no organization: ask an admin to add you."
            )
        raise NotAuthenticated(NO_CREDENTIALS)


def require_role(actor: Actor, role: str) -> None:
    if not actor.can(role):
        raise PermissionDenied(f"This needs the {role} role; you are a {actor.role}.")
