"""``POST /triggers/<endpoint>``: the webhook receiver. The webhook's secret is the credential."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ParseError, UnsupportedMediaType
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from history.errors import PayloadTooLarge
from history.jsonbody import BadJSON, TooLarge, parse_json, read_limited

from ..registry import registry
from ..triggers import firing
from ..triggers.webhooks import authenticate, raw_value
from .bodies import check_size, idempotency_key
from .errors import validating
from .openapi import ANSWERS, IDEMPOTENCY_KEY


def _header(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, str, OpenApiParameter.HEADER, description=description)


DELIVERY_PARAMETERS = [
    OpenApiParameter(
        "token",
        str,
        description="The webhook's secret, for a webhook verified the Keystroke way "
        "(`keystroke triggers url <slug>` prints the URL with it).",
    ),
    _header(
        "X-Keystroke-Signature",
        '`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, instead of ?token=.',
    ),
    _header("webhook-id", "Standard Webhooks (Svix): the message id a redelivery repeats."),
    _header("webhook-timestamp", "Standard Webhooks: unix seconds, within 5 minutes."),
    _header("webhook-signature", "Standard Webhooks: `v1,<base64 HMAC-SHA256>`, space-separated."),
    _header("X-Hub-Signature-256", "GitHub: `sha256=<hex HMAC-SHA256 of the body>`."),
    _header("X-GitHub-Delivery", "GitHub: the delivery's id, which a redelivery repeats."),
    _header("Stripe-Signature", "Stripe: `t=<unix seconds>,v1=<hex HMAC-SHA256>`."),
    IDEMPOTENCY_KEY,
]


class WebhookView(APIView):
    """POST /triggers/<endpoint>: the webhook's secret is the credential, so no API key is
    needed.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        parameters=DELIVERY_PARAMETERS,
        responses=ANSWERS,
        summary="Deliver a webhook event",
        auth=[],
    )
    def post(self, request: Request, endpoint: str) -> Response:
        webhook = registry.webhook(endpoint)
        if webhook is None:
            raise NotFound(f"No webhook listens on /triggers/{endpoint}.")
        body = _body(request)
        organization, proof = authenticate(webhook, request.headers, request.query_params, body)
        key = idempotency_key(request)
        with validating(f"payload for webhook {webhook.slug}"):
            event = webhook.payload.model_validate(_json(request, body))
        raw = raw_value(request.headers, request.query_params, body, proof)
        raw["endpoint"] = endpoint
        if key:
            raw["idempotency_key"] = key
        keys = (key, *proof.delivery_keys) if key else proof.delivery_keys
        status, answer = firing.deliver(
            organization, webhook, event, raw, f"webhook:{webhook.slug}", keys
        )
        return Response(answer, status=status)


def _body(request: Request) -> bytes:
    """The raw body (its signature covers the bytes), counted while read."""
    check_size(request)  # before reading: a huge body is refused unread
    try:
        return read_limited(request.stream) if request.stream is not None else b""
    except TooLarge as exc:
        raise PayloadTooLarge(str(exc)) from None


def _json(request: Request, body: bytes) -> Any:
    content_type = request.content_type.split(";")[0].strip().lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise UnsupportedMediaType(
            content_type or "(none)",
            detail="Send the event as JSON (Content-Type: application/json).",
        )
    try:
        return parse_json(body or b"{}")
    except BadJSON as exc:
        raise ParseError(str(exc)) from None
