"""Trigger routes: the public webhook endpoint and ``/api/triggers`` for people and scripts."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from pydantic import ValidationError
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ParseError, UnsupportedMediaType
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from history.errors import Conflict, PayloadTooLarge, error_response
from history.jsonbody import BadJSON, TooLarge, parse_json, read_limited
from history.models.accounts import Role
from history.permissions import actor_of, require_role

from ..api import ERRORS, check_size, idempotency_key, invalid_input, read_json
from ..registry import registry
from . import firing, state
from .webhooks import SIGNATURE_HEADER, Unauthorized, authenticate, raw_value, signature_key

DELIVERED = inline_serializer(
    "WebhookDelivered",
    {
        "run_id": serializers.CharField(required=False),
        "run_ids": serializers.ListField(child=serializers.CharField(), required=False),
        "ok": serializers.BooleanField(required=False),
        "skipped": serializers.BooleanField(required=False),
        "reason": serializers.CharField(required=False),
    },
)
TRIGGERS = inline_serializer(
    "TriggerPage", {"results": serializers.ListField(child=serializers.JSONField())}
)
ANSWERS = {200: DELIVERED, 202: DELIVERED, 422: OpenApiResponse(ERRORS[400].response), **ERRORS}


class WebhookView(APIView):
    """POST /triggers/<endpoint>: the webhook's secret is the
    credential, so no API key is needed.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={**ANSWERS, 401: ERRORS[401]},
        summary="Deliver a webhook event",
        auth=[],
    )
    def post(self, request: Request, endpoint: str) -> Response:
        webhook = registry.webhook(endpoint)
        if webhook is None:
            raise NotFound(f"No webhook listens on /triggers/{endpoint}.")
        body = _body(request)
        try:
            organization, auth = authenticate(
                webhook,
                request.query_params.get("token", ""),
                request.headers.get(SIGNATURE_HEADER, ""),
                body,
            )
        except Unauthorized as exc:
            return error_response(401, str(exc))
        key = idempotency_key(request)
        try:
            event = webhook.payload.model_validate(_json(request, body))
        except ValidationError as exc:
            return invalid_input(exc, f"payload for webhook {webhook.slug}")
        raw = raw_value(request.headers, request.query_params, body, auth) | {"endpoint": endpoint}
        if key:
            raw["idempotency_key"] = key
        keys = tuple(
            k
            for k in (key, signature_key(request.headers.get(SIGNATURE_HEADER, ""), body, auth))
            if k
        )
        return _answer(
            lambda: firing.deliver(
                organization, webhook, event, raw, f"webhook:{webhook.slug}", keys
            )
        )


class TriggerListView(APIView):
    @extend_schema(
        responses={200: TRIGGERS, **ERRORS},
        summary="List triggers: type, target, state, next fire time",
        operation_id="triggers_list",
    )
    def get(self, request: Request) -> Response:
        return Response({"results": state.rows(actor_of(request))})


class TriggerDetailView(APIView):
    @extend_schema(
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
        summary="A trigger, or one attachment of it",
        operation_id="triggers_get",
    )
    def get(self, request: Request, slug: str) -> Response:
        trigger, attachment = _find(slug)
        ids = [a.id for a in trigger.attachments]
        known = state.states(actor_of(request).organization, [trigger.slug, *ids])
        row = state.describe(actor_of(request), trigger, attachment, known)
        if attachment is None:
            row["attachments"] = [
                state.describe(actor_of(request), trigger, a, known) for a in trigger.attachments
            ]
            row["workflow"] = ", ".join(a.target.slug for a in trigger.attachments)
        return Response(row | {"definition": trigger.describe()})


class TriggerActionView(APIView):
    """POST /api/triggers/<slug>/invoke | disable | enable."""

    actions = ("invoke", "disable", "enable")

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={**ANSWERS},
        summary="Fire, disable or enable a trigger",
    )
    def post(self, request: Request, slug: str, action: str) -> Response:
        # Starting runs is an operator's right; switching triggers an admin's.
        require_role(actor_of(request), Role.OPERATOR if action == "invoke" else Role.ADMIN)
        trigger, attachment = _find(slug)
        if action != "invoke":
            try:
                state.set_enabled(actor_of(request), slug, on=action == "enable")
            except state.NotHere as exc:
                raise Conflict(str(exc)) from None
            return Response(state.describe(actor_of(request), trigger, attachment))
        row = state.describe(actor_of(request), trigger, attachment)
        if not row["enabled"]:
            raise Conflict(f"{slug} is disabled: `keystroke triggers enable {slug}` first.")
        return _invoke(request, trigger, attachment)


def _invoke(request: Request, trigger: Any, attachment: Any) -> Response:
    actor, raw = actor_of(request), {"invoked_by": actor_of(request).label}
    organization = actor.organization
    if trigger.type == "webhook":
        try:
            event = trigger.payload.model_validate(read_json(request) or {})
        except ValidationError as exc:
            return invalid_input(exc, f"payload for webhook {trigger.slug}")
        return _answer(
            lambda: firing.deliver(organization, trigger, event, raw, actor.label, only=attachment)
        )
    if request.data:
        raise ParseError(
            f"A {trigger.type} trigger takes no --input: it starts its runs as on its next slot."
        )
    if trigger.type == "schedule":
        return _answer(
            lambda: firing.invoke_schedule(organization, trigger, raw, actor.label, attachment)
        )
    runs = firing.run_poll(
        trigger, timezone.now(), organization=organization, force=True, actor=actor.label
    )
    last_error = state.state(organization, trigger.slug).last_error
    if not runs and last_error:
        return error_response(
            422, f"Poll {trigger.slug} failed: {last_error}", type="trigger_failed"
        )
    status, body = firing.Fired(runs, skipped="the poll found no new items").response()
    return Response(body, status=status)


def _find(slug: str) -> tuple[Any, Any]:
    try:
        return state.find(slug)
    except state.UnknownTrigger as exc:
        raise NotFound(str(exc)) from None


def _answer(fire: Any) -> Response:
    try:
        status, body = fire()
    except firing.TriggerFailed as exc:
        return error_response(422, str(exc), type="trigger_failed")
    return Response(body, status=status)


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
