from __future__ import annotations

from typing import Any

from rest_framework.exceptions import NotAuthenticated, PermissionDenied
from rest_framework.permissions import BasePermission

from .access import Actor, actor_for_request


class IsOrganizationMember(BasePermission):
    """Every API route: an API key, or a signed-in member of an organization."""

    def has_permission(self, request: Any, view: Any) -> bool:
        actor = actor_for_request(request)
        if actor is None:
            if getattr(request, "user", None) is not None and request.user.is_authenticated:
                raise PermissionDenied(
                    "Your account belongs to no organization: ask an admin to add you."
                )
            raise NotAuthenticated(
                "Send an API key as `Authorization: Bearer <key>` or `X-Api-Key: <key>`."
            )
        request.actor = actor
        return True


def actor_of(request: Any) -> Actor:
    """The actor IsOrganizationMember found for an API request (every API view runs it first)."""
    actor = getattr(request, "actor", None)
    if not isinstance(actor, Actor):
        raise NotAuthenticated(
            "Send an API key as `Authorization: Bearer <key>` or `X-Api-Key: <key>`."
        )
    return actor


def require_role(actor: Actor, role: str) -> None:
    if not actor.can(role):
        raise PermissionDenied(f"This needs the {role} role; you are a {actor.role}.")
