"""``/api/triggers`` for people and scripts: list triggers, show one, fire, disable or enable it."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ParseError, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from history.access import Actor
from history.api.base import ActorAPIView
from history.errors import Conflict
from history.models.accounts import Role
from history.permissions import require_role

from ..errors import TriggerFailed
from ..triggers import firing, state
from .bodies import read_json
from .errors import validating
from .openapi import ANSWERS, ERRORS, SECRET_BODY, TRIGGER, TRIGGER_ROW, TRIGGERS


class TriggerListView(ActorAPIView):
    @extend_schema(
        responses={200: TRIGGERS, **ERRORS},
        summary="List triggers: type, target, state, next fire time",
    )
    def get(self, request: Request) -> Response:
        return Response({"results": state.rows(self.actor)})


class TriggerDetailView(ActorAPIView):
    @extend_schema(
        responses={200: TRIGGER, **ERRORS},
        summary="A trigger, or one attachment of it",
    )
    def get(self, request: Request, slug: str) -> Response:
        trigger, attachment = state.find(slug)
        ids = [a.id for a in trigger.attachments]
        known = state.states(self.actor.organization, [trigger.slug, *ids])
        row = state.describe(self.actor, trigger, attachment, known)
        if attachment is None:
            row["attachments"] = [
                state.describe(self.actor, trigger, a, known) for a in trigger.attachments
            ]
            row["workflow"] = ", ".join(a.target.slug for a in trigger.attachments)
        return Response(row | {"definition": trigger.describe()})


class TriggerInvokeView(ActorAPIView):
    """POST /api/triggers/<slug>/invoke: fire it now, as its webhook or next slot would."""

    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={**ANSWERS},
        summary="Fire a trigger now; a webhook's body is its event",
    )
    def post(self, request: Request, slug: str) -> Response:
        require_role(self.actor, Role.OPERATOR)  # starting runs is an operator's right
        trigger, attachment = state.find(slug)
        row = state.describe(self.actor, trigger, attachment)
        if not row["enabled"]:
            raise Conflict(f"{slug} is disabled: `keystroke triggers enable {slug}` first.")
        return _invoke(request, self.actor, trigger, attachment)


class TriggerSwitchView(ActorAPIView):
    """POST /api/triggers/<slug>/disable | enable."""

    actions = ("disable", "enable")

    @extend_schema(
        request=None,
        responses={200: TRIGGER_ROW, **ERRORS},
        summary="Disable or enable a trigger or one attachment, without a deploy",
    )
    def post(self, request: Request, slug: str, action: str) -> Response:
        require_role(self.actor, Role.ADMIN)  # switching triggers is an admin's right
        trigger, attachment = state.find(slug)
        state.set_enabled(self.actor, slug, on=action == "enable")
        return Response(state.describe(self.actor, trigger, attachment))


class TriggerSecretView(ActorAPIView):
    """POST /api/triggers/<slug>/secret: ``{"secret": "<the sender's>"}`` sets a webhook's secret,
    ``{}`` makes a new one. Admins only.
    """

    @extend_schema(
        request=SECRET_BODY,
        responses={200: TRIGGER_ROW, **ERRORS},
        summary="Set or rotate a webhook's secret",
    )
    def post(self, request: Request, slug: str) -> Response:
        require_role(self.actor, Role.ADMIN)
        body = read_json(request)  # no body at all reads as an empty one: a new secret
        secret = body.get("secret") if isinstance(body, dict) else None
        if (
            not isinstance(body, dict)
            or set(body) - {"secret"}
            or ("secret" in body and not isinstance(secret, str))
        ):
            raise ValidationError(
                {"secret": ['Send {"secret": "<the sender\'s secret>"}, or {} for a new one.']}
            )
        state.set_secret(self.actor, slug, secret)
        trigger, _ = state.find(slug)
        return Response(state.describe(self.actor, trigger, None))


def _invoke(request: Request, actor: Actor, trigger: Any, attachment: Any) -> Response:
    raw = {"invoked_by": actor.label}
    organization = actor.organization
    if trigger.type == "webhook":
        with validating(f"payload for webhook {trigger.slug}"):
            event = trigger.payload.model_validate(read_json(request) or {})
        status, body = firing.deliver(
            organization, trigger, event, raw, actor.label, only=attachment
        )
        return Response(body, status=status)
    if request.data:
        raise ParseError(
            f"A {trigger.type} trigger takes no --input: it starts its runs as on its next slot."
        )
    if trigger.type == "schedule":
        status, body = firing.invoke_schedule(organization, trigger, raw, actor.label, attachment)
        return Response(body, status=status)
    runs = firing.run_poll(
        trigger, timezone.now(), organization=organization, force=True, actor=actor.label
    )
    last_error = state.state(organization, trigger.slug).last_error
    if not runs and last_error:
        raise TriggerFailed(f"Poll {trigger.slug} failed: {last_error}")
    status, body = firing.Fired(runs, skipped="the poll found no new items").response()
    return Response(body, status=status)
