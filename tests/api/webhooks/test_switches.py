"""Disabling and enabling a webhook or one of its attachments without a deploy: admins only, audited
once.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from history.models import AuditEvent, Organization, Run

from ...conftest import api_client
from .conftest import ORDER, assert_error, body_of, deliver

pytestmark = pytest.mark.django_db


def test_disabling_an_attachment_or_the_whole_webhook_and_enabling_them_again(
    admin: APIClient, org: Organization, secret: str
) -> None:
    body = body_of(ORDER)

    response = admin.post("/api/triggers/orders:approval/disable")
    assert response.status_code == 200, response.content
    assert response.json()["slug"] == "orders:approval" and response.json()["enabled"] is False
    only_one = deliver(body, token=secret)
    assert only_one.status_code == 202
    assert list(Run.objects.values_list("trigger_id", flat=True)) == ["orders:three-steps"]
    assert only_one.json()["run_ids"] == [Run.objects.get().public_id]
    assert AuditEvent.objects.filter(
        organization=org, action="trigger.disable", target="orders:approval"
    ).exists()

    assert admin.post("/api/triggers/orders/disable").status_code == 200
    skipped = deliver(body, token=secret)
    assert skipped.status_code == 200 and skipped.json()["skipped"] is True
    assert Run.objects.count() == 1
    assert AuditEvent.objects.filter(action="trigger.disable", target="orders").exists()
    listed = {row["slug"]: row for row in admin.get("/api/triggers").json()["results"]}
    assert not listed["orders:three-steps"]["enabled"] and not listed["orders:approval"]["enabled"]

    assert admin.post("/api/triggers/orders/enable").status_code == 200
    deliver(body, token=secret)
    assert Run.objects.filter(trigger_id="orders:three-steps").count() == 2
    # still disabled on its own
    assert not Run.objects.filter(trigger_id="orders:approval").exists()

    assert admin.post("/api/triggers/orders:approval/enable").json()["enabled"] is True
    assert deliver(body, token=secret).status_code == 202
    assert Run.objects.filter(trigger_id="orders:approval").count() == 1
    assert set(
        AuditEvent.objects.filter(action="trigger.enable").values_list("target", flat=True)
    ) == {
        "orders",
        "orders:approval",
    }


def test_disabling_twice_is_audited_once(admin: APIClient) -> None:
    assert admin.post("/api/triggers/orders/disable").status_code == 200
    assert admin.post("/api/triggers/orders/disable").status_code == 200
    assert AuditEvent.objects.filter(action="trigger.disable", target="orders").count() == 1


def test_a_viewer_cannot_disable_enable_or_invoke(org: Organization, secret: str) -> None:
    viewer = api_client(org, "viewer")

    assert_error(viewer.post("/api/triggers/orders/disable"), 403)
    assert_error(viewer.post("/api/triggers/orders:approval/disable"), 403)
    assert_error(viewer.post("/api/triggers/orders/enable"), 403)
    assert_error(viewer.post("/api/triggers/orders:three-steps/invoke", ORDER, format="json"), 403)

    assert not AuditEvent.objects.filter(action__startswith="trigger.").exists()
    assert Run.objects.count() == 0
    assert deliver(body_of(ORDER), token=secret).status_code == 202  # still enabled


def test_disabling_an_unknown_trigger_is_404(admin: APIClient) -> None:
    assert_error(admin.post("/api/triggers/nope/disable"), 404)
    assert_error(admin.post("/api/triggers/orders:nope/disable"), 404)


def test_trigger_actions_need_an_api_key() -> None:
    assert_error(APIClient().post("/api/triggers/orders/disable"), 401)
    assert_error(
        APIClient().post("/api/triggers/orders:three-steps/invoke", ORDER, format="json"), 401
    )


def test_an_operator_may_invoke_but_only_an_admin_switches_triggers(api: APIClient) -> None:
    assert_error(api.post("/api/triggers/orders/disable"), 403)
    assert not AuditEvent.objects.filter(action="trigger.disable").exists()
    assert (
        api.post("/api/triggers/orders:three-steps/invoke", ORDER, format="json").status_code == 202
    )
