"""Listing triggers: each attachment with its URL, schedule and last run; the secret only for
admins; one query however many there are.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from history.models import Organization, Run, TriggerState

from ...conftest import api_client
from .conftest import ATTACHMENTS, ORDER, assert_error, body_of, deliver

pytestmark = pytest.mark.django_db


def test_the_list_shows_each_attachment_with_its_url_schedule_and_last_run(
    admin: APIClient, org: Organization
) -> None:
    response = admin.get("/api/triggers")

    assert response.status_code == 200, response.content
    rows = {row["slug"]: row for row in response.json()["results"]}
    assert {
        "orders:three-steps",
        "orders:approval",
        "weekly:weekly-sales-summary",
        "signup:signup-pipeline",
    } <= set(rows)
    for row in rows.values():
        assert {"slug", "type", "workflow", "enabled", "url", "next_fire_at", "last_run"} <= set(
            row
        )

    orders = rows["orders:three-steps"]
    secret = TriggerState.objects.get(organization=org, key="orders").secret  # made by the sync
    assert secret
    assert (
        orders["type"] == "webhook"
        and orders["workflow"] == "three-steps"
        and orders["enabled"] is True
    )
    assert "/triggers/orders?token=" in orders["url"] and orders["url"].endswith(f"?token={secret}")
    assert orders["next_fire_at"] is None and orders["last_run"] is None

    weekly = rows["weekly:weekly-sales-summary"]
    assert weekly["type"] == "schedule" and weekly["workflow"] == "weekly-sales-summary"
    assert weekly["next_fire_at"] and weekly["url"] == ""

    started = deliver(body_of(ORDER), token=secret).json()["run_ids"]
    rows = {row["slug"]: row for row in admin.get("/api/triggers").json()["results"]}
    assert (
        rows["orders:three-steps"]["last_run"]["id"]
        == Run.objects.get(trigger_id="orders:three-steps").public_id
    )
    assert rows["orders:three-steps"]["last_run"]["status"] == "queued"
    assert rows["orders:approval"]["last_run"]["id"] in started


def test_a_viewer_sees_the_webhook_url_without_its_secret(org: Organization, secret: str) -> None:
    rows = {
        row["slug"]: row for row in api_client(org, "viewer").get("/api/triggers").json()["results"]
    }

    assert rows["orders:three-steps"]["url"].endswith("/triggers/orders")
    assert secret not in json.dumps(rows)


def test_one_trigger_or_attachment_by_slug(admin: APIClient, api: APIClient, secret: str) -> None:
    attachment = admin.get("/api/triggers/orders:three-steps")
    assert attachment.status_code == 200, attachment.content
    assert attachment.json()["slug"] == "orders:three-steps"
    assert attachment.json()["workflow"] == "three-steps"
    assert attachment.json()["url"].endswith(f"/triggers/orders?token={secret}")
    assert attachment.json()["definition"]["endpoint"] == "orders"
    assert api.get("/api/triggers/orders:three-steps").json()["url"].endswith("/triggers/orders"), (
        "only admins see it"
    )

    trigger = api.get("/api/triggers/orders").json()
    assert {row["slug"] for row in trigger["attachments"]} == ATTACHMENTS

    assert_error(api.get("/api/triggers/nope"), 404)
    assert_error(api.get("/api/triggers/orders:nope"), 404)


def test_the_trigger_api_needs_an_api_key() -> None:
    assert_error(APIClient().get("/api/triggers"), 401)
    assert_error(APIClient().get("/api/triggers/orders:three-steps"), 401)
    anyone = APIClient()
    anyone.credentials(HTTP_AUTHORIZATION="Bearer ks_not-a-key")
    assert_error(anyone.get("/api/triggers"), 401)


def test_listing_triggers_reads_their_state_in_one_query_however_many_there_are(
    admin: APIClient, django_assert_max_num_queries: Any
) -> None:
    assert admin.get("/api/triggers").status_code == 200  # the first listing
    # rows with last runs
    deliver(body_of(ORDER), token=TriggerState.objects.get(key="orders").secret)
    # the API key, its last use, the trigger states with last runs
    with django_assert_max_num_queries(3):
        assert len(admin.get("/api/triggers").json()["results"]) >= 7
