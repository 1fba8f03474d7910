from __future__ import annotations

from django.urls import path, re_path

from .views import (
    actions,
    bulk,
    compare,
    counts,
    detail,
    failures,
    hooks,
    markdown,
    payloads,
    retry_from,
    runs,
    saved,
    trace,
    waiting,
    workflows,
    workspace,
)

app_name = "history"

urlpatterns = [
    path("", runs.run_list, name="run-list"),
    path("views/", saved.save_view, name="save-view"),
    path("views/<int:pk>/delete/", saved.delete_view, name="delete-view"),
    # Before <run_id>/: "bulk" is no run id.
    path("bulk/", bulk.bulk_jobs, name="bulk-jobs"),
    path("bulk/new/", bulk.bulk_new, name="bulk-new"),
    path("bulk/count/", bulk.bulk_count, name="bulk-count"),
    path("bulk/<str:job_id>/", bulk.bulk_job, name="bulk-job"),
    path("bulk/<str:job_id>/stop/", bulk.bulk_stop, name="bulk-stop"),
    path("counts/", counts.run_counts, name="run-counts"),
    path("failures/", failures.failure_list, name="failures"),
    path("compare/", compare.compare_picked, name="compare-picked"),
    path("compare/<str:run_id>/<str:other_id>/", compare.compare, name="compare"),
    path("waiting-on-people/", waiting.waiting_on_people, name="waiting-on-people"),
    path("workflows/", workflows.workflow_list, name="workflow-list"),
    *(
        path(
            f"workflows/<slug:slug>/{action}/",
            workflows.workflow_action,
            {"action": action},
            name=f"workflow-{action}",
        )
        for action in ("pause", "resume")
    ),
    path("<str:run_id>/", detail.run_detail, name="run-detail"),
    path(
        "<str:run_id>/retry-from/<int:position>/",
        retry_from.retry_from_step,
        name="retry-from-step",
    ),
    path("<str:run_id>/markdown/", markdown.run_markdown_view, name="run-markdown"),
    path(
        "<str:run_id>/workspace/<int:position>/file/",
        workspace.workspace_file,
        name="workspace-file",
    ),
    path("<str:run_id>/trace/rows/", trace.trace_rows, name="trace-rows"),
    path("<str:run_id>/trace/logs/", trace.trace_log_rows, name="trace-logs"),
    path("<str:run_id>/trace/spans/", trace.trace_spans, name="trace-spans"),
    path("<str:run_id>/trace/download/", trace.trace_download, name="trace-download"),
    path("<str:run_id>/payload/<str:field>/", payloads.run_payload, name="run-payload"),
    path(
        "<str:run_id>/steps/<int:position>/<str:field>/", payloads.step_payload, name="step-payload"
    ),
    path("<str:run_id>/hooks/<int:position>/", hooks.answer_hook, name="answer-hook"),
    re_path(
        r"^(?P<run_id>[^/]+)/(?P<action>cancel|retry|rerun)/$",
        actions.run_action,
        name="run-action",
    ),
]
