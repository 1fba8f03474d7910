"""API-key authentication (``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``) and sign-in
throttling.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from axes.backends import AxesStandaloneBackend
from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.db.models import Max
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed, Throttled

from .models import ApiKey
from .models.accounts import hash_api_key
from .throttle import api_key_retry_after, client_ip, record_api_key_failure

LAST_USED_PRECISION = timedelta(minutes=1)


class KeyUser:
    """Stands in for ``request.user`` on key-authenticated requests."""

    is_authenticated = True
    is_anonymous = False
    is_superuser = False

    def __init__(self, key: ApiKey) -> None:
        self.key = key

    def get_username(self) -> str:
        return f"key:{self.key.name}"


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[KeyUser, ApiKey] | None:
        raw = _raw_key(request)
        if raw is None:
            return None
        key = ApiKey.objects.for_requests().filter(hashed_key=hash_api_key(raw)).first()
        if key is None:
            # Only unknown keys are throttled: a good key from a throttled address (a shared NAT
            # with one misconfigured client) still works, and keys are far too long to guess.
            address = client_ip(request)
            wait = api_key_retry_after(address)
            if wait is not None:
                raise Throttled(wait, "Too many unknown or revoked API keys from this address.")
            record_api_key_failure(request, address)
            raise AuthenticationFailed(
                "Unknown or revoked API key: create one with `python manage.py create_api_key "
                "--name <name>`."
            )
        now = timezone.now()
        # Written at most once a minute per key, so busy clients do not write on every call.
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_PRECISION:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        return KeyUser(key), key

    def authenticate_header(self, request: Any) -> str:
        return 'Bearer realm="keystroke"'


def _raw_key(request: Any) -> str | None:
    header = request.META.get("HTTP_X_API_KEY")
    if header:
        return header.strip()
    parts = get_authorization_header(request).split()
    if len(parts) == 2 and parts[0].lower() == b"bearer":
        return parts[1].decode(errors="replace")
    return None


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses a sign-in while its username is locked out from the client's address.

    A sign-in without a request (a shell, a management command, the test client's ``login()``)
    has no address to lock, so it is not throttled.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> None:
        if request is not None:
            super().authenticate(request, username, password, **kwargs)


def sign_in_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The username django-axes counts failures under, cut to what its table holds (255).

    No account has a longer name (Django allows 150), and a longer one failed the insert: a 500.
    """
    data = credentials if credentials else getattr(request, "data", request.POST)
    username = data.get("username")
    return username[:255] if isinstance(username, str) else username


def locked_out(
    request: HttpRequest, response: HttpResponse | None, credentials: dict[str, Any] | None
) -> HttpResponse:
    """The lockout page: 429, with how long is left to wait in words and in Retry-After."""
    username = get_client_username(request, credentials) or ""
    # The lockout ends a cool-off after the last recorded failure (later ones are not recorded).
    last = AccessAttempt.objects.filter(username=username, ip_address=client_ip(request)).aggregate(
        last=Max("attempt_time")
    )["last"]
    cool_off = get_cool_off(request) or timedelta(0)
    seconds = max(
        1, math.ceil(((last or timezone.now()) + cool_off - timezone.now()).total_seconds())
    )
    context = {"username": username, "minutes": math.ceil(seconds / 60)}
    page = render(request, "registration/locked_out.html", context, status=429)
    page["Retry-After"] = str(seconds)
    return page
