"""What one start over the API costs the database, and that a key's revocation or new role holds
from the very next request.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from history.models import ApiKey, Organization, Project, Run
from history.models.accounts import DEFAULT_SLUG, Role

from ..conftest import api_client
from ..factories import member

pytestmark = pytest.mark.django_db(transaction=True)


def start(client: Client) -> int:
    body = {"name": "Ada"}
    return client.post("/api/workflows/greeting", body, content_type="application/json").status_code


def statements(client: Client) -> list[str]:
    """The statements of one start, each as its verb and table."""
    with CaptureQueriesContext(connection) as captured:
        assert start(client) == 202
    return [_verb_and_table(query["sql"]) for query in captured.captured_queries]


def _verb_and_table(sql: str) -> str:
    words = sql.split()
    table = next((w for w in words if w.startswith('"')), "").split(".")[0]
    return " ".join([words[0], table.strip('"')]).strip()


def test_a_start_reads_the_key_with_its_default_project_then_writes_in_one_transaction(
    api: APIClient, org: Organization
) -> None:
    assert start(api) == 202  # the key's last use is now recent

    assert statements(api) == [
        "SELECT history_apikey",  # the key, its organization and that one's default project
        "BEGIN",
        "INSERT history_run",
        "INSERT history_metricincrement",
        "COMMIT",
    ]
    run = Run.objects.latest("id")
    assert run.project == org.default_project() and run.actor == "key:test-operator"


def test_a_start_from_the_web_ui_reads_the_default_project_with_the_membership(
    org: Organization,
) -> None:
    browser = member(org, Role.OPERATOR)
    assert (
        start(browser) == 202
    )  # the slug's first run here is recorded once, as every process does

    assert statements(browser) == [
        "SELECT django_session",
        "SELECT auth_user",
        "SELECT history_membership",  # the organization, its default project and the role
        "BEGIN",
        "INSERT history_run",
        "INSERT history_metricincrement",
        "COMMIT",
    ]


def test_a_key_unused_for_over_a_minute_records_its_use_once(api: APIClient) -> None:
    ApiKey.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))

    assert statements(api)[:2] == ["SELECT history_apikey", "UPDATE history_apikey"]
    assert "UPDATE history_apikey" not in statements(api)


def test_a_key_starts_runs_in_its_own_organizations_default_project() -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")

    assert start(api_client(acme)) == 202
    run = Run.objects.get()
    assert run.organization == acme and run.project == acme.default_project()


def test_a_start_without_the_default_project_makes_it_again(
    api: APIClient, org: Organization
) -> None:
    Project.objects.filter(organization=org, slug=DEFAULT_SLUG).delete()

    assert start(api) == 202
    assert Run.objects.get().project == org.default_project()


def test_a_revoked_key_is_refused_on_the_next_request(org: Organization) -> None:
    operator, admin = api_client(org), api_client(org, Role.ADMIN)
    assert start(operator) == 202
    key = ApiKey.objects.get(name="test-operator")

    assert admin.post(f"/api/api-keys/{key.public_id}/revoke").status_code == 200
    assert start(operator) == 401
    assert Run.objects.count() == 1


def test_a_key_whose_role_is_lowered_is_refused_on_the_next_request(org: Organization) -> None:
    operator = api_client(org)
    assert start(operator) == 202

    ApiKey.objects.filter(name="test-operator").update(role=Role.VIEWER)
    assert start(operator) == 403
    assert Run.objects.count() == 1
