"""The Django admin, for staff who are operators or admins: it shows hook tokens and whole payloads."""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig


class KeystrokeAdminSite(AdminSite):
    def has_permission(self, request: Any) -> bool:
        # Imported here: this module is loaded with the app registry, before the models are.
        from .access import actor_for_request
        from .models.accounts import Role

        if not super().has_permission(request):
            return False
        actor = actor_for_request(request)
        return actor is not None and actor.can(Role.OPERATOR)


class KeystrokeAdminConfig(AdminConfig):
    default_site = "history.admin_site.KeystrokeAdminSite"
