"""Repeated unknown or revoked API keys from one address answer 429 for the rest of the window."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessFailureLog
from django.db.models import F
from django.utils import timezone
from rest_framework.test import APIClient

from history.models import ApiKey, Organization
from history.models.accounts import Role

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.66"


def call(key: str, address: str = ATTACKER):  # type: ignore[no-untyped-def]
    return APIClient().get("/api/runs", HTTP_AUTHORIZATION=f"Bearer {key}", REMOTE_ADDR=address)


def guess(times: int, address: str = ATTACKER) -> None:
    for n in range(times):
        response = call(f"ks_guess{n}", address)
        assert response.status_code == 401, (n, response.json())


@pytest.fixture
def good_key(org: Organization) -> str:
    return ApiKey.issue(org, "ci", Role.VIEWER)[1]


def test_the_eleventh_bad_key_in_a_minute_is_throttled_in_the_error_envelope() -> None:
    guess(10)
    response = call("ks_one-more")
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["type"] == "throttled"
    assert "Too many unknown or revoked API keys from this address" in error["message"]
    assert 1 <= int(response["Retry-After"]) <= 60


def test_x_api_key_guesses_count_the_same() -> None:
    for n in range(10):
        assert (
            APIClient().get("/api/runs", HTTP_X_API_KEY=f"ks_{n}", REMOTE_ADDR=ATTACKER).status_code
            == 401
        )
    assert call("ks_bearer").status_code == 429


def test_while_throttled_a_good_key_from_that_address_still_works(good_key: str) -> None:
    # Many clients share one address behind a NAT: one with a revoked key must not stop the rest.
    guess(10)
    assert call("ks_still-guessing").status_code == 429
    assert call(good_key).status_code == 200


def test_an_ipv6_client_cannot_escape_by_moving_within_its_64(good_key: str) -> None:
    for n in range(10):
        assert call(f"ks_v6{n}", address=f"2001:db8:1:2::{n + 1:x}").status_code == 401
    assert call("ks_v6-more", address="2001:db8:1:2:ffff::9").status_code == 429
    assert call("ks_neighbour", address="2001:db8:1:3::1").status_code == 401, (
        "another /64 is another client"
    )


@pytest.mark.django_db(transaction=True)  # the beat task manages its own connection
def test_stale_failures_are_forgotten_by_the_prune(settings) -> None:  # type: ignore[no-untyped-def]
    from workflows.tasks import prune_runs

    guess(3)
    AccessFailureLog.objects.update(attempt_time=timezone.now() - timedelta(hours=2))
    prune_runs()
    assert not AccessFailureLog.objects.filter(username="(api key)").exists()


def test_other_addresses_and_browser_sessions_are_not_affected(
    good_key: str, org: Organization
) -> None:
    guess(10)
    assert call(good_key, address="198.51.100.20").status_code == 200
    assert call("ks_wrong", address="198.51.100.20").status_code == 401


def test_good_keys_do_not_count_and_do_not_reset_the_count(good_key: str) -> None:
    guess(5)
    for _ in range(20):
        assert call(good_key).status_code == 200
    guess(5)
    assert call("ks_wrong").status_code == 429


def test_the_address_may_try_again_once_the_window_has_passed(settings, good_key: str) -> None:  # type: ignore[no-untyped-def]
    settings.KEYSTROKE_API_KEY_FAILURE_WINDOW = 60
    guess(10)
    assert call("ks_wrong").status_code == 429
    # The failures are aged past the window rather than waited out: on a busy machine ten
    # requests can take longer than a window short enough to sleep through.
    AccessFailureLog.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=61))
    assert call("ks_wrong-again").status_code == 401
    guess(9)  # the old failures left the window, so the count starts again
    assert call("ks_wrong").status_code == 429


def test_a_limit_of_zero_turns_the_throttle_off(settings) -> None:  # type: ignore[no-untyped-def]
    settings.KEYSTROKE_API_KEY_FAILURE_LIMIT = 0
    guess(30)


def test_behind_a_trusted_proxy_the_forwarded_client_address_counts(
    settings, good_key: str
) -> None:  # type: ignore[no-untyped-def]
    settings.KEYSTROKE_TRUST_PROXY = 1
    proxy = "10.0.0.2"
    for n in range(10):
        response = APIClient().get(
            "/api/runs",
            HTTP_AUTHORIZATION=f"Bearer ks_{n}",
            HTTP_X_FORWARDED_FOR=f"6.6.6.6, {ATTACKER}",
            REMOTE_ADDR=proxy,
        )
        assert response.status_code == 401
    forwarded = {"HTTP_X_FORWARDED_FOR": ATTACKER, "REMOTE_ADDR": proxy}
    assert (
        APIClient().get("/api/runs", HTTP_AUTHORIZATION="Bearer ks_more", **forwarded).status_code
        == 429
    )
    # Another client behind the same proxy is another address.
    other = {"HTTP_X_FORWARDED_FOR": "198.51.100.20", "REMOTE_ADDR": proxy}
    assert (
        APIClient().get("/api/runs", HTTP_AUTHORIZATION="Bearer ks_more", **other).status_code
        == 401
    )
