from __future__ import annotations

from django.urls import path

from .api import RunViewSet

urlpatterns = [
    path("api/runs", RunViewSet.as_view({"get": "list"}), name="run-list-api"),
    path("api/runs/<str:pk>", RunViewSet.as_view({"get": "retrieve"}), name="run-detail-api"),
]
