"""``/hooks/<token>``: a hook's resume URL, a page for people and JSON for scripts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from history.access import get_run_for_actor
from history.api.base import ActorAPIView
from history.hook_forms import SchemaGone, hook_schema
from history.models import Step
from history.models.accounts import Role
from history.parsers import StorableJSONParser
from history.permissions import require_role
from history.throttle import client_ip
from history.waits import hook_name, open_hooks

from .. import runs
from . import hook_page
from .bodies import check_size, read_json
from .errors import validating
from .openapi import ERRORS, OPEN_HOOKS, RESUMED


class HookView(APIView):
    """GET|POST /hooks/<token>: the token is the credential, so no API key is needed.

    GET shows a page that asks before resuming (a link scanner that fetches the URL changes
    nothing); its form POSTs the answer. A JSON POST resumes at once and answers JSON.
    """

    authentication_classes: list[Any] = []
    permission_classes = [AllowAny]
    parser_classes = [StorableJSONParser, FormParser]

    @extend_schema(
        request=None,
        responses={(200, "text/html"): OpenApiTypes.STR},
        summary="The page that answers a hook",
    )
    def get(self, request: Request, token: str) -> HttpResponse:
        return hook_page.hook_page(
            request._request, token, {k: str(v) for k, v in request.query_params.items()}
        )

    @extend_schema(
        request=OpenApiTypes.OBJECT, responses={200: RESUMED, **ERRORS}, summary="Resume a hook"
    )
    def post(self, request: Request, token: str) -> HttpResponse:
        if request.content_type.startswith("application/x-www-form-urlencoded"):
            check_size(request)
            form = request.data if isinstance(request.data, Mapping) else {}
            return hook_page.resume_from_form(
                request._request, token, {k: str(v) for k, v in form.items()}
            )
        return self._resume(token, read_json(request))

    def _resume(self, token: str, payload: Any) -> Response:
        with validating("hook payload"):
            step = runs.resume_hook(
                token, payload, resumed_by="hook URL", address=client_ip(self.request)
            )
        return Response({"ok": True, "run_id": step.run.public_id, "step_id": step.step_id})


class OpenHookListView(ActorAPIView):
    """GET /api/hooks?status=open: the organization's hooks waiting for an answer."""

    @extend_schema(
        request=None, responses={200: OPEN_HOOKS, **ERRORS}, summary="List hooks waiting for people"
    )
    def get(self, request: Request) -> Response:
        wanted = request.query_params.get("status", "open")
        if wanted != "open":
            raise ValidationError({"status": [f"{wanted!r} is not a hook status: use open."]})
        rows = [
            {
                "run_id": step.run.public_id,
                "workflow": step.run.slug,
                "hook": hook_name(step.step_id),
                "step_id": step.step_id,
                "since": step.started_at,
                "times_out_at": step.wake_at,
                "schema": _json_schema(step),
            }
            for step in open_hooks(self.actor.organization)
        ]
        return Response({"results": rows})


class RunHookView(ActorAPIView):
    """POST /api/runs/<id>/hooks/<name>: answer a run's open hook with an operator's key."""

    parser_classes = [StorableJSONParser]

    @extend_schema(
        request=OpenApiTypes.OBJECT, responses={200: RESUMED, **ERRORS}, summary="Answer a hook"
    )
    def post(self, request: Request, pk: str, name: str) -> Response:
        require_role(self.actor, Role.OPERATOR)
        run = get_run_for_actor(self.actor, pk)
        payload = read_json(request)
        with validating("hook payload"):
            step = runs.resume_named_hook(self.actor, run, name, payload)
        return Response({"ok": True, "run_id": run.public_id, "step_id": step.step_id})


def _json_schema(step: Step) -> dict[str, Any] | None:
    """The JSON Schema a hook's answer must match; None when it takes any JSON object, or when
    its model is gone from the deployed code (answering it is refused until it is back)."""
    try:
        schema = hook_schema(step)
    except SchemaGone:
        return None
    return schema.model_json_schema() if schema is not None else None
