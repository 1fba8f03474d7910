"""Who is asking (the client address, through trusted proxies) and how often a bad API key came from
there.

Bad API keys are counted as rows of django-axes' ``AccessFailureLog`` table, under a username
no person can have. The table is in the database every web worker and host already shares, comes
with axes' own migrations, and shows the failures in the admin next to failed sign-ins. A
per-process cache would let each gunicorn worker count on its own.
"""

from __future__ import annotations

import ipaddress
import logging
import math
from datetime import timedelta
from typing import Any

from axes.models import AccessFailureLog
from django.conf import settings
from django.utils import timezone

log = logging.getLogger(__name__)

# Not a valid Django username (it has a space and brackets), so it never mixes with a person's
# failures.
API_KEY_USERNAME = "(api key)"


def client_ip(request: Any) -> str | None:
    """The client's address: the peer, or behind N trusted proxies the address the first of them
    saw.

    Each proxy appends the address it received the request from to X-Forwarded-For, so the Nth
    entry from the right is the one no client can forge.
    """
    remote = _address(request.META.get("REMOTE_ADDR"))
    proxies = settings.KEYSTROKE_TRUST_PROXY
    if proxies:
        forwarded = [
            a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if a.strip()
        ]
        if len(forwarded) >= proxies:
            return _address(forwarded[-proxies]) or remote
    return remote


def _address(value: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


def api_key_retry_after(address: str | None) -> int | None:
    """Seconds until ``address`` may present API keys again, or None when it may now."""
    limit, window = (
        settings.KEYSTROKE_API_KEY_FAILURE_LIMIT,
        settings.KEYSTROKE_API_KEY_FAILURE_WINDOW,
    )
    if limit <= 0:
        return None
    now = timezone.now()
    recent = list(
        _failures(address)
        .filter(attempt_time__gt=now - timedelta(seconds=window))
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    # Free again once the oldest of the last `limit` failures leaves the window.
    return max(1, math.ceil((recent[-1] + timedelta(seconds=window) - now).total_seconds()))


def record_api_key_failure(request: Any, address: str | None) -> None:
    if settings.KEYSTROKE_API_KEY_FAILURE_LIMIT <= 0:
        return
    AccessFailureLog.objects.create(
        username=API_KEY_USERNAME,
        ip_address=_bucket(address),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        http_accept=request.META.get("HTTP_ACCEPT", "")[:1025],
        path_info=request.META.get("PATH_INFO", "")[:255],
    )
    # Older failures no longer count; dropping them keeps the table at most `limit` rows per
    # address.
    window = timedelta(seconds=settings.KEYSTROKE_API_KEY_FAILURE_WINDOW)
    _failures(address).filter(attempt_time__lte=timezone.now() - window).delete()
    if api_key_retry_after(address) is not None:
        log.warning(
            "API keys from %s are refused (429) for up to %s s: %s unknown or revoked keys in "
            "that time",
            address,
            settings.KEYSTROKE_API_KEY_FAILURE_WINDOW,
            settings.KEYSTROKE_API_KEY_FAILURE_LIMIT,
        )


def _failures(address: str | None) -> Any:
    return AccessFailureLog.objects.filter(username=API_KEY_USERNAME, ip_address=_bucket(address))


def _bucket(address: str | None) -> str | None:
    """The client an address stands for: itself, or for IPv6 its /64, which one host can roam
    freely.
    """
    if address is None or ":" not in address:
        return address
    return str(ipaddress.ip_network(f"{address}/64", strict=False).network_address)


def forget_stale_api_key_failures() -> int:
    """Delete API-key failures past their window (run with the prune), so addresses that never fail
    again, like scanners, leave nothing behind."""
    window = timedelta(seconds=settings.KEYSTROKE_API_KEY_FAILURE_WINDOW)
    stale = AccessFailureLog.objects.filter(
        username=API_KEY_USERNAME, attempt_time__lte=timezone.now() - window
    )
    return int(stale.delete()[0])
