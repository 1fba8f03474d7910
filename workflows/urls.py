from __future__ import annotations

from django.urls import re_path

from . import views

urlpatterns = [
    re_path(
        r"^history/(?P<run_id>[^/]+)/(?P<action>cancel|retry|rerun)/$",
        views.run_action,
        name="run-ui-action",
    ),
]
