"""API-key authentication: ``Authorization: Bearer <key>`` or ``X-Api-Key: <key>``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from .models import ApiKey
from .models.accounts import hash_api_key

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
        key = ApiKey.objects.active().select_related("organization").filter(hashed_key=hash_api_key(raw)).first()
        if key is None:
            raise AuthenticationFailed(
                "Unknown or revoked API key: create one with `python manage.py create_api_key --name <name>`."
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
