"""Repeated failed sign-ins lock that username out from that address for a cool-off; nobody else."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.db.models import F
from django.test import Client
from django.utils import timezone

from history.models import Membership, Organization
from history.models.accounts import Role

pytestmark = pytest.mark.django_db

PASSWORD = "pw-12345678"
HOME = "203.0.113.5"


def sign_in(
    client: Client, username: str, password: str, address: str = HOME, url: str = "/accounts/login/"
):  # type: ignore[no-untyped-def]
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def fail(times: int, username: str = "alice", address: str = HOME) -> None:
    for _ in range(times):
        response = sign_in(Client(), username, "wrong", address)
        assert response.status_code == 200 and b"did not match" in response.content


def lock_out(username: str = "alice", address: str = HOME) -> None:
    fail(4, username, address)
    assert sign_in(Client(), username, "wrong", address).status_code == 429


@pytest.fixture(autouse=True)
def people(org: Organization) -> None:
    for name in ("alice", "bob"):
        user = User.objects.create_user(name, password=PASSWORD, is_staff=True)
        Membership.objects.create(user=user, organization=org, role=Role.OPERATOR)


def test_the_fifth_failure_locks_the_user_out_with_a_clear_page() -> None:
    fail(4)
    response = sign_in(Client(), "alice", "wrong")
    assert response.status_code == 429
    assert response["Retry-After"] == str(15 * 60)
    body = response.content.decode()
    assert "Too many failed sign-ins for alice" in body and "Try again in 15 minutes" in body


def test_the_right_password_waits_out_the_cool_off_too() -> None:
    lock_out()
    client = Client()
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_page_tells_how_long_is_left_not_the_whole_cool_off() -> None:
    lock_out()
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=10))
    response = sign_in(Client(), "alice", "wrong")
    assert response.status_code == 429
    assert 240 <= int(response["Retry-After"]) <= 300
    assert "Try again in 5 minutes" in response.content.decode()


def test_the_admin_sign_in_counts_and_is_locked_too() -> None:
    fail(4)
    response = sign_in(Client(), "alice", "wrong", url="/admin/login/")
    assert response.status_code == 429


def test_a_lockout_leaves_other_users_at_that_address_and_the_user_elsewhere_alone() -> None:
    lock_out()
    assert sign_in(Client(), "bob", PASSWORD)["Location"] == "/history/"
    assert sign_in(Client(), "alice", PASSWORD, address="198.51.100.9")["Location"] == "/history/"


def test_a_good_sign_in_after_the_cool_off_works_and_starts_the_count_again(settings) -> None:  # type: ignore[no-untyped-def]
    settings.AXES_COOLOFF_TIME = timedelta(seconds=60)
    lock_out()
    assert sign_in(Client(), "alice", PASSWORD).status_code == 429
    # The lockout is aged past the cool-off rather than waited out: on a busy machine the sign-ins
    # above can take longer than a cool-off short enough to sleep through.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(seconds=61))
    client = Client()
    response = sign_in(client, "alice", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/history/"
    assert client.get("/history/").status_code == 200
    fail(4)  # the good sign-in reset the count: four new failures do not lock


def test_failures_below_the_limit_do_not_stop_a_good_sign_in() -> None:
    fail(4)
    assert sign_in(Client(), "alice", PASSWORD)["Location"] == "/history/"


def test_sign_ins_without_a_request_are_not_throttled() -> None:
    lock_out()
    # A shell, a management command or the test client's login() has no address to lock.
    assert authenticate(username="alice", password=PASSWORD) is not None
    assert Client().login(username="alice", password=PASSWORD)


def test_a_username_longer_than_any_account_is_a_failed_sign_in_not_a_500() -> None:
    response = sign_in(Client(), "x" * 5000, "wrong")
    assert response.status_code == 200 and 'name="username"' in response.content.decode(), (
        "the form again"
    )
