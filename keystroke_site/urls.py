from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from history.views import health

# The database may be the thing that failed: this handler answers without touching it.
handler500 = "history.errors.server_error"

urlpatterns = [
    path("", RedirectView.as_view(url="/history/", permanent=False)),
    # Probes and Prometheus: no sign-in, never redirected to HTTPS (SECURE_REDIRECT_EXEMPT).
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("accounts/", include("history.account_urls")),
    path("history/", include("history.urls")),
    # The engine's API first: its api/runs/bulk routes must not be read as api/runs/<id>.
    path("", include("workflows.api.urls")),
    path("", include("history.api.urls")),
]
