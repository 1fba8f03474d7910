"""Each organization has its own webhook secret, idempotency keys, switches and listing."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from history.models import Organization, Role, Run, TriggerState
from workflows.triggers.state import state
from workflows.triggers.webhooks import sign

from ...conftest import api_client
from .conftest import ORDER, assert_error, body_of, deliver

pytestmark = pytest.mark.django_db


def test_each_organizations_secret_starts_runs_in_that_organization(
    org: Organization, secret: str
) -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")
    acme_secret = state(acme, "orders").secret
    assert acme_secret and acme_secret != secret
    body = body_of(ORDER)

    assert deliver(body, token=acme_secret).status_code == 202
    assert deliver(body, signature=sign(acme_secret, body)).status_code == 202
    assert Run.objects.filter(organization=acme).count() == 4
    assert not Run.objects.filter(organization=org).exists()
    assert {run.project.organization_id for run in Run.objects.filter(organization=acme)} == {
        acme.pk
    }

    assert deliver(body, token=secret).status_code == 202
    assert Run.objects.filter(organization=acme).count() == 4
    assert Run.objects.filter(organization=org).count() == 2


def test_idempotency_keys_and_disabling_are_per_organization(
    org: Organization, admin: APIClient, secret: str
) -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")
    acme_secret = state(acme, "orders").secret
    body = body_of(ORDER)

    ours = deliver(body, token=secret, HTTP_IDEMPOTENCY_KEY="same")
    theirs = deliver(body, token=acme_secret, HTTP_IDEMPOTENCY_KEY="same")
    assert ours.status_code == theirs.status_code == 202
    assert set(ours.json()["run_ids"]).isdisjoint(theirs.json()["run_ids"])
    assert Run.objects.filter(organization=acme).count() == 2

    admin.post("/api/triggers/orders/disable")
    assert deliver(body, token=secret).json()["skipped"] is True
    assert deliver(body, token=acme_secret).status_code == 202
    assert Run.objects.filter(organization=acme).count() == 4


def test_another_organizations_key_lists_its_own_secret(org: Organization, secret: str) -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")
    rows = {
        row["slug"]: row
        for row in api_client(acme, Role.ADMIN).get("/api/triggers").json()["results"]
    }

    acme_secret = TriggerState.objects.get(organization=acme, key="orders").secret
    assert rows["orders:three-steps"]["url"].endswith(f"?token={acme_secret}")
    assert secret not in json.dumps(rows)


def test_schedules_cannot_be_switched_in_an_organization_they_do_not_fire_in() -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")
    admin = api_client(acme, Role.ADMIN)
    assert_error(admin.post("/api/triggers/weekly/disable"), 409)
    row = next(
        r
        for r in admin.get("/api/triggers").json()["results"]
        if r["slug"] == "weekly:weekly-sales-summary"
    )
    assert row["next_fire_at"] is None and row["enabled"] is False
