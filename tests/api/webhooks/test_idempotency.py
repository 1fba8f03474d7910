"""A delivery sent again starts nothing more: the same Idempotency-Key, or the same signed body,
answers the first delivery's runs.
"""

from __future__ import annotations

import time

import pytest

from history.models import Run
from workflows.triggers.webhooks import sign

from .conftest import ATTACHMENTS, ORDER, assert_error, body_of, deliver

pytestmark = pytest.mark.django_db


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
