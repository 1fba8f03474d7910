"""Webhook deliveries to ``POST /triggers/<endpoint>`` and ``/api/triggers``.

The test project's webhook ``orders`` (payload ``Order{kind, marker}``, filter ``kind !=
"ignored"``)
starts ``three-steps`` and ``approval``. Runs are only created and queued: no worker is needed.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.test import Client, override_settings
from rest_framework.test import APIClient

from history.models import AuditEvent, Organization, Role, Run, TriggerState
from workflows.triggers.state import state
from workflows.triggers.webhooks import sign

from ..conftest import api_client

pytestmark = pytest.mark.django_db

ORDER = {"kind": "paid", "marker": "order-1"}
ATTACHMENTS = {"orders:three-steps", "orders:approval"}


def body_of(payload: Any) -> bytes:
    return json.dumps(payload).encode()


def deliver(
    body: bytes,
    *,
    token: str | None = None,
    signature: str | None = None,
    query: str = "",
    endpoint: str = "orders",
    content_type: str = "application/json",
    **headers: str,
) -> HttpResponse:
    """POST raw bytes to a webhook, as a sender with no API key or session would."""
    params = [f"token={token}"] if token is not None else []
    params += [query] if query else []
    url = f"/triggers/{endpoint}" + (f"?{'&'.join(params)}" if params else "")
    if signature is not None:
        headers["HTTP_X_KEYSTROKE_SIGNATURE"] = signature
    return Client().post(url, data=body, content_type=content_type, **headers)


def assert_error(response: HttpResponse, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert set(error) == {"type", "message", "details"} and error["message"]
    return error


@pytest.fixture
def secret(org: Organization) -> str:
    return state(org, "orders").secret


@pytest.fixture
def admin(org: Organization) -> APIClient:
    return api_client(org, "admin")


# -- who may deliver ---------------------------------------------------------------------------


def test_a_token_delivery_starts_one_run_per_attachment_with_its_trigger_recorded(
    org: Organization, secret: str
) -> None:
    body = body_of(ORDER)
    response = deliver(
        body,
        token=secret,
        query="source=shop",
        HTTP_AUTHORIZATION="Bearer ks_not-a-real-key-but-looks-like-one",
        HTTP_X_SHOP_EVENT="order.paid",
    )

    assert response.status_code == 202, response.content
    answer = response.json()
    assert len(answer["run_ids"]) == 2 and answer["run_id"] == answer["run_ids"][0]
    runs = {run.trigger_id: run for run in Run.objects.all()}
    assert set(runs) == ATTACHMENTS
    assert {run.public_id for run in runs.values()} == set(answer["run_ids"])
    for run in runs.values():
        assert run.organization == org and run.status == Run.Status.QUEUED
        assert run.trigger_type == "webhook"
        assert run.trigger_label == "Webhook · orders"
        assert run.actor == "webhook:orders"
        raw = run.trigger_raw
        assert raw["body_sha256"] == hashlib.sha256(body).hexdigest()
        assert raw["query"] == {"source": "shop"}
        names = {name.lower() for name in raw["headers"]}
        assert "x-shop-event" in names
        assert not names & {"authorization", "x-keystroke-signature", "cookie", "x-api-key"}
        assert secret not in json.dumps(raw) and "ks_not-a-real-key" not in json.dumps(raw)
    assert runs["orders:three-steps"].slug == "three-steps"
    assert runs["orders:three-steps"].input["marker"] == "order-1"
    assert runs["orders:approval"].slug == "approval"
    assert runs["orders:approval"].input["marker"] == "order-1"
    assert runs["orders:approval"].input["flag"] == "paid"  # its transform's mapping of the event


def test_a_signed_delivery_is_accepted_and_its_signature_is_not_recorded(secret: str) -> None:
    body = body_of(ORDER)
    signature = sign(secret, body)

    response = deliver(body, signature=signature)

    assert response.status_code == 202, response.content
    assert Run.objects.count() == 2
    for raw in Run.objects.values_list("trigger_raw", flat=True):
        assert raw["body_sha256"] == hashlib.sha256(body).hexdigest()
        assert "x-keystroke-signature" not in {name.lower() for name in raw["headers"]}
        assert signature.split("v1=")[1] not in json.dumps(raw) and secret not in json.dumps(raw)


def stale(secret: str, body: bytes) -> str:
    return sign(secret, body, int(time.time()) - 301)


def from_the_future(secret: str, body: bytes) -> str:
    return sign(secret, body, int(time.time()) + 301)


@pytest.mark.parametrize(
    "credentials",
    [
        pytest.param(lambda secret, body: {}, id="nothing"),
        pytest.param(lambda secret, body: {"token": "not-the-secret"}, id="wrong-token"),
        pytest.param(lambda secret, body: {"token": ""}, id="empty-token"),
        pytest.param(lambda secret, body: {"token": secret[:-1]}, id="truncated-token"),
        pytest.param(
            lambda secret, body: {"signature": sign("not-the-secret", body)},
            id="signed-with-wrong-secret",
        ),
        pytest.param(
            lambda secret, body: {"signature": sign(secret, body.replace(b"order-1", b"order-2"))},
            id="tampered-body",
        ),
        pytest.param(lambda secret, body: {"signature": stale(secret, body)}, id="stale-signature"),
        pytest.param(
            lambda secret, body: {"signature": from_the_future(secret, body)}, id="future-signature"
        ),
        pytest.param(lambda secret, body: {"signature": "garbage"}, id="malformed-garbage"),
        pytest.param(lambda secret, body: {"signature": "t=abc,v1=00"}, id="malformed-timestamp"),
        pytest.param(
            lambda secret, body: {"signature": "t=\u00b2,v1=00"}, id="malformed-superscript-digit"
        ),
        pytest.param(
            lambda secret, body: {"signature": "t=" + "9" * 400 + ",v1=00"},
            id="malformed-huge-timestamp",
        ),
        pytest.param(
            lambda secret, body: {"signature": "t=1,t=2,v1=00"}, id="malformed-two-timestamps"
        ),
        pytest.param(
            lambda secret, body: {"signature": sign(secret, body).split(",")[1]},
            id="malformed-no-t",
        ),
        pytest.param(
            lambda secret, body: {"signature": sign(secret, body).split(",")[0]},
            id="malformed-no-v1",
        ),
        pytest.param(
            lambda secret, body: {"HTTP_AUTHORIZATION": f"Bearer {secret}"},
            id="secret-as-bearer-is-not-accepted",
        ),
    ],
)
def test_a_delivery_without_a_valid_token_or_signature_is_401_and_creates_nothing(
    secret: str, credentials: Any
) -> None:
    body = body_of(ORDER)

    response = deliver(body, **credentials(secret, body))

    error = assert_error(response, 401)
    assert secret not in error["message"]
    assert Run.objects.count() == 0


def test_a_signature_just_inside_five_minutes_is_accepted(secret: str) -> None:
    body = body_of(ORDER)
    assert deliver(body, signature=sign(secret, body, int(time.time()) - 290)).status_code == 202


def test_a_webhook_without_any_secret_yet_refuses_every_delivery() -> None:
    TriggerState.objects.filter(key="orders").delete()  # as before its first sync
    assert not TriggerState.objects.filter(key="orders").exists()
    assert_error(deliver(body_of(ORDER), token=""), 401)
    assert_error(deliver(body_of(ORDER), signature=sign("", body_of(ORDER))), 401)
    assert Run.objects.count() == 0


# -- what is delivered -------------------------------------------------------------------------


def test_an_event_the_filter_refuses_is_skipped_without_runs(secret: str) -> None:
    response = deliver(body_of({"kind": "ignored", "marker": "m"}), token=secret)

    assert response.status_code == 200, response.content
    assert response.json()["ok"] is True and response.json()["skipped"] is True
    assert "run_id" not in response.json()
    assert Run.objects.count() == 0


def test_a_payload_missing_a_field_is_400_naming_it(secret: str) -> None:
    response = deliver(body_of({"kind": "paid"}), token=secret)

    error = assert_error(response, 400)
    assert "marker" in error["details"]["fields"]
    assert "marker" in error["message"]
    assert Run.objects.count() == 0


def test_a_payload_of_the_wrong_shape_is_400(secret: str) -> None:
    assert_error(deliver(body_of(["kind", "marker"]), token=secret), 400)
    assert_error(deliver(body_of({"kind": 3, "marker": "m"}), token=secret), 400)
    assert Run.objects.count() == 0


def test_a_body_that_is_not_json_is_415(secret: str) -> None:
    response = deliver(
        b"kind=paid&marker=m", token=secret, content_type="application/x-www-form-urlencoded"
    )

    assert_error(response, 415)
    assert_error(deliver(b"<order/>", token=secret, content_type="text/xml"), 415)
    assert Run.objects.count() == 0


def test_malformed_json_is_400_with_the_parse_position(secret: str) -> None:
    response = deliver(b'{"kind": "paid", "marker": ', token=secret)

    error = assert_error(response, 400)
    assert "line 1" in error["message"] and "column" in error["message"]
    assert Run.objects.count() == 0


def test_a_json_content_type_with_a_charset_is_accepted(secret: str) -> None:
    response = deliver(body_of(ORDER), token=secret, content_type="application/json; charset=utf-8")
    assert response.status_code == 202, response.content


def test_a_body_over_the_payload_limit_is_413_and_creates_nothing(secret: str) -> None:
    limits = {**getattr(settings, "KEYSTROKE_WORKFLOWS", {}), "MAX_PAYLOAD": 100}
    big = body_of({"kind": "paid", "marker": "x" * 200})
    small = body_of(ORDER)
    assert len(big) > 100 >= len(small)

    with override_settings(KEYSTROKE_WORKFLOWS=limits):
        assert_error(deliver(big, token=secret), 413)
        assert_error(deliver(big, signature=sign(secret, big)), 413)
        assert Run.objects.count() == 0
        # the limit, not the event, refused it
        assert deliver(small, token=secret).status_code == 202


def test_an_unknown_endpoint_is_404(secret: str) -> None:
    assert_error(deliver(body_of(ORDER), token=secret, endpoint="nope"), 404)
    assert Run.objects.count() == 0


# -- Idempotency-Key ---------------------------------------------------------------------------


def test_a_repeated_idempotency_key_answers_the_first_runs_instead_of_starting_more(
    secret: str,
) -> None:
    body = body_of(ORDER)

    first = deliver(body, token=secret, HTTP_IDEMPOTENCY_KEY="delivery-1")
    again = deliver(body, signature=sign(secret, body), HTTP_IDEMPOTENCY_KEY="delivery-1")

    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert Run.objects.count() == 2
    assert set(Run.objects.values_list("trigger_raw__idempotency_key", flat=True)) == {"delivery-1"}

    other = deliver(body, token=secret, HTTP_IDEMPOTENCY_KEY="delivery-2")

    assert other.status_code == 202
    assert set(other.json()["run_ids"]).isdisjoint(first.json()["run_ids"])
    assert Run.objects.count() == 4


def test_deliveries_without_an_idempotency_key_each_start_runs(secret: str) -> None:
    body = body_of(ORDER)
    assert deliver(body, token=secret).json() != deliver(body, token=secret).json()
    assert Run.objects.count() == 4


def test_a_repeated_idempotency_key_of_a_skipped_event_stays_skipped(secret: str) -> None:
    skipped = body_of({"kind": "ignored", "marker": "m"})
    first = deliver(skipped, token=secret, HTTP_IDEMPOTENCY_KEY="k")
    again = deliver(skipped, token=secret, HTTP_IDEMPOTENCY_KEY="k")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert Run.objects.count() == 0


def test_an_idempotency_key_still_needs_the_secret(secret: str) -> None:
    body = body_of(ORDER)
    first = deliver(body, token=secret, HTTP_IDEMPOTENCY_KEY="delivery-1")
    assert first.status_code == 202

    replay = deliver(body, token="not-the-secret", HTTP_IDEMPOTENCY_KEY="delivery-1")

    body_text = replay.content.decode()
    assert_error(replay, 401)
    assert all(run_id not in body_text for run_id in first.json()["run_ids"])


# -- disable and enable without a deploy -------------------------------------------------------


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


# -- listing -----------------------------------------------------------------------------------


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


# -- invoke ------------------------------------------------------------------------------------


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


# -- organizations -----------------------------------------------------------------------------


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


def test_an_operator_may_invoke_but_only_an_admin_switches_triggers(api: APIClient) -> None:
    assert_error(api.post("/api/triggers/orders/disable"), 403)
    assert not AuditEvent.objects.filter(action="trigger.disable").exists()
    assert (
        api.post("/api/triggers/orders:three-steps/invoke", ORDER, format="json").status_code == 202
    )


def test_a_signature_with_non_ascii_characters_is_401(secret: str) -> None:
    assert_error(deliver(body_of(ORDER), signature=f"t={int(time.time())},v1={'é' * 64}"), 401)
    assert not Run.objects.exists()


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


def test_listing_triggers_reads_their_state_in_one_query_however_many_there_are(
    admin: APIClient, django_assert_max_num_queries: Any
) -> None:
    assert admin.get("/api/triggers").status_code == 200  # the first listing
    # rows with last runs
    deliver(body_of(ORDER), token=TriggerState.objects.get(key="orders").secret)
    # the API key, its last use, the trigger states with last runs
    with django_assert_max_num_queries(3):
        assert len(admin.get("/api/triggers").json()["results"]) >= 7


def test_a_refused_signature_says_whether_it_was_old_or_from_the_future(secret: str) -> None:
    body = body_of(ORDER)
    old = assert_error(deliver(body, signature=stale(secret, body)), 401)["message"]
    ahead = assert_error(deliver(body, signature=from_the_future(secret, body)), 401)["message"]
    assert "301 seconds old" in old or "302 seconds old" in old, old
    assert "301 seconds in the future" in ahead or "302 seconds in the future" in ahead, ahead


def test_a_replayed_signed_delivery_answers_as_the_first_and_starts_nothing(secret: str) -> None:
    body = body_of(ORDER)
    signature = sign(secret, body)
    first = deliver(body, signature=signature)
    assert first.status_code == 202
    # a new key does not make it a new delivery
    for headers in (
        {},
        {"HTTP_IDEMPOTENCY_KEY": "a-new-key"},
    ):
        again = deliver(body, signature=signature, **headers)
        assert (again.status_code, again.json()) == (202, first.json())
    stamp, digest = signature.split(",")
    upper = f"{stamp},v1={digest.removeprefix('v1=').upper()}"
    for spelled in (f"{stamp}, {digest}", f"{digest},{stamp}", upper, f"{signature},v0=x"):
        again = deliver(body, signature=spelled)  # the same proof, written otherwise
        assert (again.status_code, again.json()) == (202, first.json()), spelled
    assert Run.objects.count() == len(ATTACHMENTS)
    resigned = deliver(body, signature=sign(secret, body, int(time.time()) - 10))
    assert resigned.status_code == 202 and resigned.json() != first.json(), (
        "a delivery signed anew is another"
    )
