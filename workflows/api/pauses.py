"""Pause and resume a workflow or agent over the API: ``POST /api/workflows/<slug>/pause`` and
``/resume`` (any workflow's or agent's slug; they share one namespace), and the same under
``/api/agents/<slug>/`` for agents.

A second pause, or a resume of a workflow that is not paused, answers 200 with ``changed:
false`` and changes nothing: a script may say what it wants without asking first.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from pydantic import BaseModel, ConfigDict, Field
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from history import pauses
from history.access import Actor
from history.api.base import ActorAPIView
from history.models import Run, WorkflowPause
from history.models.accounts import Role
from history.permissions import require_role

from ..registry import registry
from .bodies import read_json
from .errors import validating
from .openapi import ERRORS


class PauseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=500, description="Why, for the audit log and History.")


PAUSE_STATE = inline_serializer(
    "PauseState",
    {
        "slug": serializers.CharField(),
        "kind": serializers.CharField(),
        "paused": serializers.BooleanField(),
        "paused_by": serializers.CharField(allow_null=True),
        "paused_at": serializers.DateTimeField(allow_null=True),
        "pause_reason": serializers.CharField(allow_null=True),
        "queued_runs": serializers.IntegerField(),
        "changed": serializers.BooleanField(),
        "message": serializers.CharField(),
    },
)


class PauseView(ActorAPIView):
    """POST /api/workflows/<slug>/pause | resume, and /api/agents/<slug>/pause | resume."""

    actions = ("pause", "resume")

    @extend_schema(
        request=inline_serializer("PauseRequest", {"reason": serializers.CharField()}),
        responses={200: PAUSE_STATE, **ERRORS},
        summary="Pause or resume a workflow or agent in your organization",
    )
    def post(self, request: Request, slug: str, action: str, kind: str | None = None) -> Response:
        require_role(self.actor, Role.OPERATOR)
        target = registry.target(slug, kind) if kind else registry.workflow(slug)
        if target is None:
            listed = f"GET /api/{kind}s" if kind else "GET /api/workflows and GET /api/agents"
            raise NotFound(f"No {kind or 'workflow or agent'} {slug!r} is registered: {listed}.")
        body = read_json(request) or {}
        with validating(f"body of {action}"):
            reason = PauseBody.model_validate(body).reason
        changed = pauses.change(action, self.actor, slug, reason)
        return Response(state(self.actor, target, changed, action))


def state(actor: Actor, target: Any, changed: bool, action: str) -> dict[str, Any]:
    pause = WorkflowPause.objects.filter(organization=actor.organization, slug=target.slug).first()
    queued = Run.objects.filter(
        organization=actor.organization, slug=target.slug, status=Run.Status.QUEUED
    ).count()
    return {
        "slug": target.slug,
        "kind": target.kind,
        **pauses.describe(pause),
        "queued_runs": queued,
        "changed": changed,
        "message": _message(target.slug, pause, changed, action, queued),
    }


def _message(
    slug: str, pause: WorkflowPause | None, changed: bool, action: str, queued: int
) -> str:
    if action == "pause" and pause is not None:
        if not changed:
            return f"{slug} was already paused by {pause.paused_by}; nothing changed."
        return f"{slug} is paused: its queued runs ({queued}) and new ones wait for the resume."
    if action == "resume" and pause is None:
        if not changed:
            return f"{slug} was not paused; nothing changed."
        return f"{slug} is resumed: its queued runs were sent to the workers."
    # paused or resumed again by someone else in between
    return f"{slug} is {'paused' if pause else 'not paused'} now."
