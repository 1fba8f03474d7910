"""A GET writes nothing: not the defaults, not a trigger's state row, on any page or API.

Signed in by session: a request with an API key also stamps the key's last use (at most once a
minute), the one write a read makes on purpose.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from history.models import Organization, TriggerState
from history.models.accounts import Role
from workflows.triggers.state import state

from ..factories import make_hook, make_run, member

pytestmark = pytest.mark.django_db

WRITES = ("INSERT", "UPDATE", "DELETE")


def writes_of(client: Client, urls: list[str]) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)
    ]


def test_no_get_writes_even_with_no_trigger_state_rows_yet(org: Organization) -> None:
    TriggerState.objects.all().delete()  # as before the first sync: reading must not make them
    run = make_run(org, "approval", status="waiting", input={"marker": "m"})
    make_hook(run, "a" * 40)
    admin = member(org, Role.ADMIN)
    superuser = User.objects.create_superuser("root", password="pw-12345678")
    root = Client()
    root.force_login(superuser)

    pages = [
        "/history/",
        f"/history/{run.public_id}/",
        f"/history/{run.public_id}/?tab=steps",
        f"/history/{run.public_id}/payload/input/",
        "/api/runs",
        f"/api/runs/{run.public_id}",
        "/api/workflows",
        "/api/agents",
        "/api/triggers",
        "/api/triggers/orders",
        "/api/triggers/orders:three-steps",
        "/api/triggers/weekly",
        f"/hooks/{'a' * 40}",
        "/healthz",
        "/metrics",
    ]
    assert writes_of(admin, pages) == []
    assert writes_of(root, ["/history/", "/admin/", "/admin/history/triggerstate/"]) == []
    assert not TriggerState.objects.exists()


def test_a_trigger_without_its_row_reads_as_a_new_one_without_a_secret(org: Organization) -> None:
    TriggerState.objects.filter(key="orders").delete()
    row = state(org, "orders")
    assert row.pk is None and row.enabled and row.secret == "" and row.last_run is None
    admin = member(org, Role.ADMIN)
    url = admin.get("/api/triggers/orders").json()["url"]
    assert url.endswith("/triggers/orders"), "no token until the row and its secret exist"
