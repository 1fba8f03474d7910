"""Invoking one attachment through the API starts only its run, as the key that invoked it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from history.models import Organization, Run

from .conftest import ORDER, assert_error

pytestmark = pytest.mark.django_db


def test_invoking_an_attachment_starts_only_its_run(api: APIClient, org: Organization) -> None:
    response = api.post(
        "/api/triggers/orders:three-steps/invoke", {"kind": "x", "marker": "m"}, format="json"
    )

    assert response.status_code == 202, response.content
    run = Run.objects.get()
    assert response.json()["run_ids"] == [run.public_id] == [response.json()["run_id"]]
    assert (
        run.slug == "three-steps"
        and run.trigger_id == "orders:three-steps"
        and run.organization == org
    )
    assert run.trigger_type == "webhook" and run.input["marker"] == "m"
    assert run.actor and run.actor != "webhook:orders"  # the key that invoked it


def test_invoking_with_an_invalid_body_is_400_naming_the_field(api: APIClient) -> None:
    response = api.post("/api/triggers/orders:three-steps/invoke", {"kind": "x"}, format="json")

    error = assert_error(response, 400)
    assert "marker" in error["details"]["fields"]
    assert Run.objects.count() == 0


def test_invoking_a_disabled_trigger_is_409(admin: APIClient) -> None:
    admin.post("/api/triggers/orders/disable")

    assert_error(admin.post("/api/triggers/orders:three-steps/invoke", ORDER, format="json"), 409)
    assert Run.objects.count() == 0
