from __future__ import annotations

from django.urls import path, re_path

from . import api, views
from .triggers import api as trigger_api

urlpatterns = [
    path("api/workflows", api.WorkflowListView.as_view(), name="workflow-list"),
    path("api/workflows/<slug:slug>", api.StartWorkflowView.as_view(), name="workflow-start"),
    path("api/agents", api.AgentListView.as_view(), name="agent-list"),
    path("api/agents/<slug:slug>/prompt", api.PromptAgentView.as_view(), name="agent-prompt"),
    *(
        path(
            f"api/runs/<str:pk>/{action}",
            api.RunActionView.as_view(),
            {"action": action},
            name=f"run-{action}",
        )
        for action in api.RunActionView.actions
    ),
    path("hooks/<str:token>", api.HookView.as_view(), name="hook"),
    path("api/triggers", trigger_api.TriggerListView.as_view(), name="trigger-list"),
    path("api/triggers/<str:slug>", trigger_api.TriggerDetailView.as_view(), name="trigger-detail"),
    *(
        path(
            f"api/triggers/<str:slug>/{action}",
            trigger_api.TriggerActionView.as_view(),
            {"action": action},
            name=f"trigger-{action}",
        )
        for action in trigger_api.TriggerActionView.actions
    ),
    path("triggers/<slug:endpoint>", trigger_api.WebhookView.as_view(), name="webhook"),
    re_path(
        r"^history/(?P<run_id>[^/]+)/(?P<action>cancel|retry|rerun)/$",
        views.run_action,
        name="run-ui-action",
    ),
]
