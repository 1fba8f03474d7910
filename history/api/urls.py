from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from .api_keys import ApiKeyListView, ApiKeyRevokeView
from .compare import RunCompareView
from .counts import RunCountsViewSet, RunFailuresViewSet
from .runs import RunViewSet
from .schema import SwaggerDocsView
from .trace import RunTraceView

app_name = "history-api"

urlpatterns = [
    path("api/runs", RunViewSet.as_view({"get": "list"}), name="run-list"),
    # Before api/runs/<pk>: "counts" and "failures" are no run ids.
    path("api/runs/counts", RunCountsViewSet.as_view({"get": "list"}), name="run-counts"),
    path("api/runs/failures", RunFailuresViewSet.as_view({"get": "list"}), name="run-failures"),
    path("api/runs/<str:pk>/compare/<str:other>", RunCompareView.as_view(), name="run-compare"),
    path("api/runs/<str:pk>/trace", RunTraceView.as_view(), name="run-trace"),
    path("api/runs/<str:pk>", RunViewSet.as_view({"get": "retrieve"}), name="run-detail"),
    path("api/api-keys", ApiKeyListView.as_view(), name="api-key-list"),
    path("api/api-keys/<str:pk>/revoke", ApiKeyRevokeView.as_view(), name="api-key-revoke"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerDocsView.as_view(url_name="history-api:schema"), name="api-docs"),
]
