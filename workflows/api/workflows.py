"""The workflows and agents a project defines: listed with their schemas, started as runs."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from history import pauses
from history.access import Actor, get_run_for_actor
from history.api.base import ActorAPIView
from history.api.serializers import RunSerializer
from history.api.waiting import WAIT, wait_seconds, wait_while_moving
from history.models import Run
from history.models.accounts import Role
from history.models.runs import parse_run_id
from history.permissions import require_role

from .. import runs
from ..origins import RunOrigin
from ..registry import registry
from .bodies import idempotency_key, read_json
from .errors import validating
from .openapi import AGENTS, ERRORS, IDEMPOTENCY_KEY, STARTED, WORKFLOWS

CLIENT_TRIGGERS = {"cli": Run.Trigger.CLI, "ui": Run.Trigger.UI}


class WorkflowListView(ActorAPIView):
    @extend_schema(
        responses={200: WORKFLOWS, **ERRORS},
        summary="List workflows with their input and output schemas",
    )
    def get(self, request: Request) -> Response:
        return Response({"results": described(self.actor, "workflow")})


class AgentListView(ActorAPIView):
    @extend_schema(
        responses={200: AGENTS, **ERRORS}, summary="List agents with their models and tools"
    )
    def get(self, request: Request) -> Response:
        return Response({"results": described(self.actor, "agent")})


def described(actor: Actor, kind: str) -> list[dict[str, Any]]:
    """The workflows or agents, each with whether it is paused in the actor's organization."""
    paused = pauses.pauses_of(actor.organization)
    return [d.describe() | pauses.describe(paused.get(d.slug)) for d in registry.of_kind(kind)]


class StartWorkflowView(ActorAPIView):
    @extend_schema(
        request=OpenApiTypes.OBJECT,
        parameters=[WAIT, IDEMPOTENCY_KEY],
        responses={202: STARTED, **ERRORS},
        summary="Start a run; the body is its input",
    )
    def post(self, request: Request, slug: str) -> Response:
        return start(request, self.actor, slug, "workflow")


class PromptAgentView(ActorAPIView):
    @extend_schema(
        request=inline_serializer("AgentPrompt", {"message": serializers.CharField()}),
        parameters=[WAIT, IDEMPOTENCY_KEY],
        responses={202: STARTED, **ERRORS},
        summary="Start an agent run with a message",
    )
    def post(self, request: Request, slug: str) -> Response:
        return start(request, self.actor, slug, "agent")


def start(request: Request, actor: Actor, slug: str, kind: str) -> Response:
    """Start a workflow or agent run: 202 with its id, 400 naming bad fields and no run row.

    With an Idempotency-Key, a repeat answers 200 with the first run's body instead of
    starting another. With ``?wait=S`` the body also holds the run's envelope as
    GET /api/runs/<id>?wait=S would answer it.
    """
    require_role(actor, Role.OPERATOR)
    target = registry.target(slug, kind)
    if target is None:
        raise NotFound(f"No {kind} {slug!r} is registered: GET /api/{kind}s lists them.")
    key = idempotency_key(request)
    seconds = wait_seconds(request)
    body = read_json(request)
    once = runs.Once(key, request_digest(kind, slug, body)) if key else None
    trigger = CLIENT_TRIGGERS.get(request.headers.get("X-Keystroke-Client", ""), Run.Trigger.API)
    raw = {"user_agent": request.headers.get("User-Agent", ""), "idempotency_key": key}
    with validating(f"input for {slug}"):
        started, new = runs.start_once(target, body, RunOrigin.api(actor, trigger, raw), once)
    if seconds:
        started = {**started, "run": _run_after(request, actor, started["run_id"], seconds)}
        started["status"] = started["run"]["status"]
    return _started(request, started, status.HTTP_202_ACCEPTED if new else status.HTTP_200_OK)


def _run_after(request: Request, actor: Actor, run_id: str, seconds: float) -> dict[str, Any]:
    """The run's envelope once it has ended, slept or begun waiting, or after ``seconds``; the
    wait's first look at its status comes before the run is read whole.
    """
    wait_while_moving(parse_run_id(run_id), seconds)
    run = get_run_for_actor(actor, run_id)
    return RunSerializer(run, context={"request": request}).data


def request_digest(kind: str, slug: str, body: Any) -> str:
    """What a start asks for, so a key reused for a different start can be told apart."""
    canonical = json.dumps(
        [kind, slug, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _started(request: Request, started: dict[str, Any], code: int) -> Response:
    url = request.build_absolute_uri(reverse("history:run-detail", args=[started["run_id"]]))
    return Response({**started, "url": url}, status=code)
