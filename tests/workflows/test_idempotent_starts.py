"""Idempotency-Key on POST /api/workflows/<slug> and /api/agents/<slug>/prompt."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from history.models import AuditEvent, Organization, Run, TriggerDelivery
from history.models.accounts import Role

from ..conftest import api_client

pytestmark = pytest.mark.django_db


def start(api: APIClient, body: dict, key: str | None, slug: str = "greeting") -> object:
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return api.post(f"/api/workflows/{slug}", body, format="json", **headers)


def test_it_answers_a_repeat_with_the_first_run(api: APIClient) -> None:
    first = start(api, {"name": "Ada"}, "order-1")
    assert first.status_code == 202, first.content
    again = start(api, {"name": "Ada"}, "order-1")
    assert again.status_code == 200
    assert again.json() == first.json(), "the same body, the same run"
    assert Run.objects.count() == 1
    assert TriggerDelivery.objects.get().trigger == "(api)"


def test_other_keys_and_no_key_start_other_runs(api: APIClient) -> None:
    ids = {start(api, {"name": "Ada"}, key).json()["run_id"] for key in ("a", "b", None, None)}
    assert len(ids) == 4 and Run.objects.count() == 4


def test_a_key_is_scoped_to_its_organization(api: APIClient) -> None:
    other = Organization.objects.create(slug="globex", name="Globex")
    first = start(api, {"name": "Ada"}, "shared-key").json()["run_id"]
    theirs = start(api_client(other), {"name": "Ada"}, "shared-key")
    assert theirs.status_code == 202 and theirs.json()["run_id"] != first
    assert Run.objects.filter(organization=other).count() == 1


def test_a_key_reused_for_another_request_is_refused_and_starts_nothing(api: APIClient) -> None:
    start(api, {"name": "Ada"}, "k1")
    changed = start(api, {"name": "Grace"}, "k1")
    assert changed.status_code == 422, changed.content
    error = changed.json()["error"]
    assert error["type"] == "idempotency_key_reused" and "Idempotency-Key" in error["message"]
    other_target = api.post(
        "/api/agents/lead-researcher/prompt",
        {"message": "hi"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="k1",
    )
    assert other_target.status_code == 422
    assert Run.objects.count() == 1


def test_bad_input_records_no_key_so_a_corrected_retry_starts_the_run(api: APIClient) -> None:
    bad = start(api, {"name": 12}, "k2")
    assert bad.status_code == 400
    assert not TriggerDelivery.objects.exists()
    assert start(api, {"name": "Ada"}, "k2").status_code == 202


def test_agent_prompts_take_a_key_too(api: APIClient) -> None:
    path = "/api/agents/lead-researcher/prompt"
    first = api.post(
        path, {"message": "Research ada@acme.io"}, format="json", HTTP_IDEMPOTENCY_KEY="p1"
    )
    again = api.post(
        path, {"message": "Research ada@acme.io"}, format="json", HTTP_IDEMPOTENCY_KEY="p1"
    )
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["run_id"] == first.json()["run_id"]
    assert Run.objects.filter(kind="agent").count() == 1


@pytest.mark.parametrize("key", ["", "x" * 201, "bad\x00key"])
def test_an_unusable_key_is_a_400_naming_the_header(api: APIClient, key: str) -> None:
    response = start(api, {"name": "Ada"}, key)
    if key == "":
        assert response.status_code == 202, "an empty header is no key"
        return
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["message"]
    assert not Run.objects.exists()


def test_a_viewer_cannot_start_runs_with_a_key_either(org: Organization) -> None:
    response = start(api_client(org, Role.VIEWER), {"name": "Ada"}, "v1")
    assert response.status_code == 403
    assert not TriggerDelivery.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_repeats_start_one_run(org: Organization) -> None:
    answers: list[dict] = []
    barrier = threading.Barrier(4)

    def post() -> None:
        client = api_client(org)
        barrier.wait()
        response = start(client, {"name": "Ada"}, "race")
        answers.append({"status": response.status_code, "run_id": response.json()["run_id"]})
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(answers) == 4, "every request answered (a crash in a thread appends nothing)"
    assert Run.objects.count() == 1
    assert {a["run_id"] for a in answers} == {Run.objects.get().public_id}
    assert sorted(a["status"] for a in answers).count(202) == 1
