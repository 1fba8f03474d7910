"""The Django admin, for superusers only: it spans every organization and shows hook tokens and
whole payloads.

Members, whatever their role, work in History and the API, which keep to their organization.
"""

from __future__ import annotations

from typing import Any

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig


class KeystrokeAdminSite(AdminSite):
    def has_permission(self, request: Any) -> bool:
        return bool(request.user.is_active and request.user.is_superuser)


class KeystrokeAdminConfig(AdminConfig):
    default_site = "history.admin_site.KeystrokeAdminSite"
