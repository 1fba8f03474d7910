from __future__ import annotations

from django.urls import path

from . import views

app_name = "history"

urlpatterns = [
    path("", views.run_list, name="run-list"),
    path("<str:run_id>/", views.run_detail, name="run-detail"),
]
