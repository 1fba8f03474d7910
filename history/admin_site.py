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
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, path


class KeystrokeAdminSite(AdminSite):
    def has_permission(self, request: Any) -> bool:
        # Imported here: this module is loaded with the apps, before any model.
        from .admin_scope import organization_admin

        user = request.user
        if not (user.is_active and user.is_staff):
            return False
        return bool(user.is_superuser or organization_admin(request))

    def get_urls(self) -> list[URLResolver | URLPattern]:
        # "View on site" redirects by content type and pk, past every model admin's queryset:
        # superusers only (the record's own pages link to History directly).
        urls = [u for u in super().get_urls() if getattr(u, "name", None) != "view_on_site"]
        shortcut = path(
            "r/<int:content_type_id>/<path:object_id>/",
            self.admin_view(self._view_on_site),
            name="view_on_site",
        )
        return [shortcut, *urls]

    def _view_on_site(
        self, request: HttpRequest, content_type_id: int, object_id: str
    ) -> HttpResponse:
        from django.contrib.contenttypes.views import shortcut

        if not request.user.is_superuser:
            raise Http404("Open the record from its own page.")
        return shortcut(request, content_type_id, object_id)


class KeystrokeAdminConfig(AdminConfig):
    default_site = "history.admin_site.KeystrokeAdminSite"
