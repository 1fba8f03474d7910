from __future__ import annotations

from django.urls import path

from .bulk import BulkJobView, BulkStopView, BulkView
from .hooks import HookView, OpenHookListView, RunHookView
from .pauses import PauseView
from .runs import RunActionView
from .triggers import (
    TriggerDetailView,
    TriggerInvokeView,
    TriggerListView,
    TriggerSecretView,
    TriggerSwitchView,
)
from .webhooks import WebhookView
from .workflows import AgentListView, PromptAgentView, StartWorkflowView, WorkflowListView

app_name = "workflows-api"

urlpatterns = [
    # Before every api/runs/<id> route (the root URLconf includes these first): "bulk" is no run.
    path("api/runs/bulk", BulkView.as_view(), name="bulk"),
    path("api/runs/bulk/<str:pk>", BulkJobView.as_view(), name="bulk-job"),
    path("api/runs/bulk/<str:pk>/stop", BulkStopView.as_view(), name="bulk-stop"),
    path("api/workflows", WorkflowListView.as_view(), name="workflow-list"),
    path("api/workflows/<slug:slug>", StartWorkflowView.as_view(), name="workflow-start"),
    path("api/agents", AgentListView.as_view(), name="agent-list"),
    path("api/agents/<slug:slug>/prompt", PromptAgentView.as_view(), name="agent-prompt"),
    *(
        path(
            f"api/{kinds}/<slug:slug>/{action}",
            PauseView.as_view(),
            {"action": action, "kind": kind},
            name=f"{kinds[:-1]}-{action}",
        )
        # a workflow's route takes an agent's slug too: they share one namespace
        for kinds, kind in (("workflows", None), ("agents", "agent"))
        for action in PauseView.actions
    ),
    *(
        path(
            f"api/runs/<str:pk>/{action}",
            RunActionView.as_view(),
            {"action": action},
            name=f"run-{action}",
        )
        for action in RunActionView.actions
    ),
    path("hooks/<str:token>", HookView.as_view(), name="hook"),
    path("api/hooks", OpenHookListView.as_view(), name="hook-list"),
    path("api/runs/<str:pk>/hooks/<str:name>", RunHookView.as_view(), name="run-hook"),
    path("api/triggers", TriggerListView.as_view(), name="trigger-list"),
    path("api/triggers/<str:slug>", TriggerDetailView.as_view(), name="trigger-detail"),
    path("api/triggers/<str:slug>/invoke", TriggerInvokeView.as_view(), name="trigger-invoke"),
    *(
        path(
            f"api/triggers/<str:slug>/{action}",
            TriggerSwitchView.as_view(),
            {"action": action},
            name=f"trigger-{action}",
        )
        for action in TriggerSwitchView.actions
    ),
    path("api/triggers/<str:slug>/secret", TriggerSecretView.as_view(), name="trigger-secret"),
    path("triggers/<slug:endpoint>", WebhookView.as_view(), name="webhook"),
]
