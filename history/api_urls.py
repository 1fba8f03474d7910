from __future__ import annotations

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from .api import RunViewSet
from .api_keys import ApiKeyListView, ApiKeyRevokeView
from .schema import SwaggerDocsView

urlpatterns = [
    path("api/runs", RunViewSet.as_view({"get": "list"}), name="run-list-api"),
    path("api/runs/<str:pk>", RunViewSet.as_view({"get": "retrieve"}), name="run-detail-api"),
    path("api/api-keys", ApiKeyListView.as_view(), name="api-key-list"),
    path("api/api-keys/<str:pk>/revoke", ApiKeyRevokeView.as_view(), name="api-key-revoke"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SwaggerDocsView.as_view(url_name="schema"), name="api-docs"),
]
