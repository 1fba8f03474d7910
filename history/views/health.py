"""Probes and metrics for load balancers, orchestrators and Prometheus: no session, no sign-in.

``/metrics`` is open unless ``KEYSTROKE_METRICS_TOKEN`` is set, so without a token it belongs
on the internal network only (block it at the reverse proxy otherwise).
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_safe

from ..health import readiness
from ..metrics import exposition


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    # Liveness only: the process answers. It touches nothing, so a database outage never gets
    # a healthy web server restarted.
    return JsonResponse({"status": "ok"})


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    checks = readiness()
    ready = all(result == "ok" for result in checks.values())
    return JsonResponse(checks, status=200 if ready else 503)


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    token = getattr(settings, "KEYSTROKE_METRICS_TOKEN", "")
    if token and not _bearer_is(request, token):
        response = HttpResponse(
            "A bearer token is required: Authorization: Bearer <KEYSTROKE_METRICS_TOKEN>.\n",
            status=401,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    body, content_type = exposition(request.headers.get("Accept", ""))
    return HttpResponse(body, content_type=content_type)


def _bearer_is(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # Constant time, so response times do not reveal how much of a guess was right.
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )
