"""Who may deliver to a webhook: its token or a fresh signature made with its secret, and nobody
else.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from typing import Any

import pytest

from history.models import Organization, Run, TriggerState
from workflows.triggers.webhooks import sign

from .conftest import ATTACHMENTS, ORDER, assert_error, body_of, deliver, from_the_future, stale

pytestmark = pytest.mark.django_db


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


def test_a_signature_with_non_ascii_characters_is_401(secret: str) -> None:
    assert_error(deliver(body_of(ORDER), signature=f"t={int(time.time())},v1={'é' * 64}"), 401)
    assert not Run.objects.exists()


def test_a_refused_signature_says_whether_it_was_old_or_from_the_future(secret: str) -> None:
    body = body_of(ORDER)
    old = assert_error(deliver(body, signature=stale(secret, body)), 401)["message"]
    ahead = assert_error(deliver(body, signature=from_the_future(secret, body)), 401)["message"]
    # A minute past the five-minute window either way, so a slow machine cannot bring it back in.
    old_by = re.search(r"\b(\d+) seconds old\b", old)
    ahead_by = re.search(r"\b(\d+) seconds in the future\b", ahead)
    assert old_by and 360 <= int(old_by[1]) < 420, old
    assert ahead_by and 300 < int(ahead_by[1]) <= 360, ahead
