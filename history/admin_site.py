"""The Django admin: superusers see every organization; an organization's admins see their own.

An organization admin sees its runs, steps, audit events, API keys and triggers, read-only,
and cancels runs or switches triggers through the actions, which the engine audits.
Organizations, members and projects stay with superusers. Viewers and operators work in
History and the API only.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig


class KeystrokeAdminSite(AdminSite):
    def has_permission(self, request: Any) -> bool:
        # Imported here: this module is loaded with the apps, before any model.
        from .admin_scope import organization_admin

        user = request.user
        return bool(user.is_active and (user.is_superuser or organization_admin(request)))


class KeystrokeAdminConfig(AdminConfig):
    default_site = "history.admin_site.KeystrokeAdminSite"
