"""API keys over the API, and the remaining run filters."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from history.models import ApiKey, AuditEvent, Organization

from ..conftest import api_client
from ..factories import make_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(org: Organization) -> APIClient:
    return api_client(org, "admin")


def test_an_admin_creates_a_key_that_is_shown_once_and_works(
    admin: APIClient, org: Organization
) -> None:
    response = admin.post("/api/api-keys", {"name": "ci", "role": "viewer"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (
        body["key"].startswith("ks_") and body["id"].startswith("key_") and body["role"] == "viewer"
    )
    stored = ApiKey.objects.get(name="ci")
    assert stored.hashed_key != body["key"] and body["key"] not in str(stored.__dict__)
    assert "key" not in admin.get("/api/api-keys").json()["results"][0]
    viewer = APIClient()
    viewer.credentials(HTTP_AUTHORIZATION=f"Bearer {body['key']}")
    assert viewer.get("/api/runs").status_code == 200
    assert viewer.post("/api/workflows/greeting", {}, format="json").status_code == 403
    assert AuditEvent.objects.filter(action="api_key.create", target=body["id"]).exists()


def test_a_revoked_key_stops_working_and_revoking_twice_conflicts(
    admin: APIClient, org: Organization
) -> None:
    key, raw = ApiKey.issue(org, "laptop")
    assert admin.post(f"/api/api-keys/{key.public_id}/revoke").status_code == 200
    assert admin.post(f"/api/api-keys/{key.public_id}/revoke").status_code == 409
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/runs").status_code == 401
    assert AuditEvent.objects.filter(action="api_key.revoke", target=key.public_id).count() == 1


def test_only_admins_manage_keys_and_only_their_organizations(
    admin: APIClient, api: APIClient
) -> None:
    assert api.get("/api/api-keys").status_code == 403
    assert api.post("/api/api-keys", {"name": "x"}, format="json").status_code == 403
    other, _ = ApiKey.issue(Organization.objects.create(slug="acme", name="Acme"), "theirs")
    assert admin.post(f"/api/api-keys/{other.public_id}/revoke").status_code == 404
    assert admin.post("/api/api-keys/not-a-key/revoke").status_code == 404
    assert admin.post("/api/api-keys", {"role": "boss"}, format="json").status_code == 400
    other.refresh_from_db()
    assert other.revoked_at is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("model=openai:gpt-4o-mini", {"agent"}),
        ("min_cost=0.5", {"agent"}),
        ("actor=alice", {"old"}),
        ("agent=lead-researcher", {"agent"}),
        ("created_before={yesterday}", {"old"}),
        ("created_after={yesterday}", {"agent", "new"}),
    ],
)
def test_it_filters_by_model_cost_actor_agent_and_creation_time(
    api: APIClient, org: Organization, query: str, expected: set[str]
) -> None:
    now = timezone.now()
    runs = {
        "old": make_run(org, actor="alice", created_at=now - timedelta(days=2)),
        "new": make_run(org, actor="bob"),
        "agent": make_run(
            org,
            kind="agent",
            slug="lead-researcher",
            models_used=["openai:gpt-4o-mini"],
            total_cost=Decimal("0.75"),
        ),
    }
    names = {run.public_id: name for name, run in runs.items()}
    yesterday = (now - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    response = api.get(
        "/api/runs", {k: v.format(yesterday=yesterday) for k, v in [query.split("=", 1)]}
    )
    assert response.status_code == 200, response.content
    assert {names[r["id"]] for r in response.json()["results"]} == expected


def test_a_time_with_an_offset_postgresql_cannot_store_is_converted_not_a_500(
    api: APIClient,
) -> None:
    # Found by the schemathesis run: +20:05 is valid ISO 8601 but out of PostgreSQL's range.
    response = api.get("/api/runs", {"created_after": "0280-07-31T04:59:10+20:05"})
    assert response.status_code == 200
