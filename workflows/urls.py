from __future__ import annotations

from django.urls import path, re_path

from . import api, views

urlpatterns = [
    path("api/workflows", api.WorkflowListView.as_view(), name="workflow-list"),
    path("api/workflows/<slug:slug>", api.StartWorkflowView.as_view(), name="workflow-start"),
    re_path(r"^api/runs/(?P<pk>[^/]+)/(?P<action>cancel|retry|rerun)$", api.RunActionView.as_view(), name="run-action"),
    path("hooks/<str:token>", api.HookView.as_view(), name="hook"),
    re_path(r"^history/(?P<run_id>[^/]+)/(?P<action>cancel|retry|rerun)/$", views.run_action, name="run-ui-action"),
]
