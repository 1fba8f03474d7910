from __future__ import annotations

from django.urls import path, re_path

from .views import actions, bulk, detail, payloads, runs, saved, waiting

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
    path("waiting-on-people/", waiting.waiting_on_people, name="waiting-on-people"),
    path("<str:run_id>/", detail.run_detail, name="run-detail"),
    path("<str:run_id>/payload/<str:field>/", payloads.run_payload, name="run-payload"),
    path(
        "<str:run_id>/steps/<int:position>/<str:field>/", payloads.step_payload, name="step-payload"
    ),
    re_path(
        r"^(?P<run_id>[^/]+)/(?P<action>cancel|retry|rerun)/$",
        actions.run_action,
        name="run-action",
    ),
]
