"""API routes that act on the engine: start runs, change their state, resume hooks."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from pydantic import ValidationError
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from history.access import get_run_for_actor
from history.errors import Conflict, PayloadTooLarge, error_response
from history.models import Run
from history.models.accounts import Role
from history.parsers import StorableJSONParser
from history.permissions import actor_of, require_role
from history.serializers import RunSerializer
from history.throttle import client_ip

from . import runs, views
from .conf import engine_settings
from .errors import field_errors
from .origins import RunOrigin
from .registry import registry

CLIENT_TRIGGERS = {"cli": Run.Trigger.CLI, "ui": Run.Trigger.UI}
IDEMPOTENCY_KEY_LIMIT = 200


def read_json(request: Request) -> Any:
    """The JSON body: 413 past KEYSTROKE_MAX_PAYLOAD, 415 when not JSON, 400 when malformed or
    not storable (history.parsers counts a chunked body while reading it)."""
    check_size(request)
    return request.data


def check_size(request: Request) -> None:
    """413 when the declared Content-Length is past KEYSTROKE_MAX_PAYLOAD: refused unread."""
    limit = engine_settings()["MAX_PAYLOAD"]
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ParseError("Content-Length is not a number.") from None
    if length > limit:
        raise PayloadTooLarge(
            f"The body is {length} bytes; the limit is {limit} (KEYSTROKE_MAX_PAYLOAD)."
        )


def idempotency_key(request: Request) -> str:
    """The request's Idempotency-Key ("" for none): at most 200 printable ASCII characters."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > IDEMPOTENCY_KEY_LIMIT:
        raise ParseError(
            f"Idempotency-Key is {len(key)} characters; the limit is {IDEMPOTENCY_KEY_LIMIT}."
        )
    if not all(" " <= char <= "~" for char in key):
        raise ParseError(
            "Idempotency-Key may hold printable ASCII characters only; a UUID is a good key."
        )
    return key


def request_digest(kind: str, slug: str, body: Any) -> str:
    """What a start asks for, so a key reused for a different start can be told apart."""
    canonical = json.dumps(
        [kind, slug, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def invalid_input(exc: ValidationError, what: str) -> Response:
    fields = field_errors(exc)
    summary = "; ".join(f"{name}: {', '.join(msgs)}" for name, msgs in fields.items())
    return error_response(
        400, f"Invalid {what}: {summary}", {"fields": fields}, type="invalid_input"
    )


ERROR = inline_serializer(
    "Error",
    {
        "error": inline_serializer(
            "ErrorBody",
            {
                "type": serializers.CharField(),
                "message": serializers.CharField(),
                "details": serializers.JSONField(),
            },
        )
    },
)
ERRORS = {code: OpenApiResponse(ERROR) for code in (400, 401, 403, 404, 409, 413, 415)}
WORKFLOWS = inline_serializer(
    "WorkflowPage", {"results": serializers.ListField(child=serializers.JSONField())}
)
STARTED = inline_serializer(
    "RunStarted",
    {
        "run_id": serializers.CharField(),
        "status": serializers.CharField(),
        "url": serializers.URLField(),
    },
)
RESUMED = inline_serializer(
    "HookResumed",
    {
        "ok": serializers.BooleanField(),
        "run_id": serializers.CharField(),
        "step_id": serializers.CharField(),
    },
)


class WorkflowListView(APIView):
    @extend_schema(
        responses={200: WORKFLOWS, **ERRORS},
        summary="List workflows with their input and output schemas",
    )
    def get(self, request: Request) -> Response:
        return Response({"results": [w.describe() for w in registry.of_kind("workflow")]})


class AgentListView(APIView):
    @extend_schema(
        responses={200: WORKFLOWS, **ERRORS}, summary="List agents with their models and tools"
    )
    def get(self, request: Request) -> Response:
        return Response({"results": [a.describe() for a in registry.of_kind("agent")]})


class StartWorkflowView(APIView):
    @extend_schema(
        request=OpenApiTypes.OBJECT,
        responses={202: STARTED, **ERRORS},
        summary="Start a run; the body is its input",
    )
    def post(self, request: Request, slug: str) -> Response:
        return start(request, slug, "workflow")


class PromptAgentView(APIView):
    @extend_schema(
        request=inline_serializer("AgentPrompt", {"message": serializers.CharField()}),
        responses={202: STARTED, **ERRORS},
        summary="Start an agent run with a message",
    )
    def post(self, request: Request, slug: str) -> Response:
        return start(request, slug, "agent")


def start(request: Request, slug: str, kind: str) -> Response:
    """Start a workflow or agent run: 202 with its id, 400 naming bad fields and no run row.

    With an Idempotency-Key, a repeat answers 200 with the first run's body instead of
    starting another.
    """
    require_role(actor_of(request), Role.OPERATOR)
    target = registry.target(slug, kind)
    if target is None:
        raise NotFound(f"No {kind} {slug!r} is registered: GET /api/{kind}s lists them.")
    key = idempotency_key(request)
    body = read_json(request)
    once = runs.Once(key, request_digest(kind, slug, body)) if key else None
    trigger = CLIENT_TRIGGERS.get(request.headers.get("X-Keystroke-Client", ""), Run.Trigger.API)
    raw = {"user_agent": request.headers.get("User-Agent", ""), "idempotency_key": key}
    try:
        started, new = runs.start_once(
            target, body, RunOrigin.api(actor_of(request), trigger, raw), once
        )
    except ValidationError as exc:
        return invalid_input(exc, f"input for {slug}")
    except runs.IdempotencyKeyReused as exc:
        return error_response(422, str(exc), type="idempotency_key_reused")
    return _started(request, started, status.HTTP_202_ACCEPTED if new else status.HTTP_200_OK)


def _started(request: Request, started: dict[str, Any], code: int) -> Response:
    url = request.build_absolute_uri(reverse("history:run-detail", args=[started["run_id"]]))
    return Response({**started, "url": url}, status=code)


class RunActionView(APIView):
    """POST /api/runs/<id>/cancel | retry | rerun."""

    actions = {"cancel": runs.cancel_run, "retry": runs.retry_run, "rerun": runs.rerun_run}

    @extend_schema(
        request=None,
        responses={200: RunSerializer, 201: RunSerializer, **ERRORS},
        summary="Change a run",
    )
    def post(self, request: Request, pk: str, action: str) -> Response:
        require_role(actor_of(request), Role.OPERATOR)
        run = get_run_for_actor(actor_of(request), pk)
        try:
            result = self.actions[action](run, actor_of(request))
        except runs.InvalidState as exc:
            raise Conflict(str(exc)) from None
        code = status.HTTP_201_CREATED if action == "rerun" else status.HTTP_200_OK
        return Response(RunSerializer(result, context={"request": request}).data, status=code)


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
        return views.hook_page(
            request._request, token, {k: str(v) for k, v in request.query_params.items()}
        )

    @extend_schema(
        request=OpenApiTypes.OBJECT, responses={200: RESUMED, **ERRORS}, summary="Resume a hook"
    )
    def post(self, request: Request, token: str) -> HttpResponse:
        if request.content_type.startswith("application/x-www-form-urlencoded"):
            check_size(request)
            form = request.data if isinstance(request.data, Mapping) else {}
            return views.resume_from_form(
                request._request, token, {k: str(v) for k, v in form.items()}
            )
        return self._resume(token, read_json(request))

    def _resume(self, token: str, payload: Any) -> Response:
        try:
            step = runs.resume_hook(
                token, payload, resumed_by="hook URL", address=client_ip(self.request)
            )
        except runs.HookNotFound as exc:
            raise NotFound(str(exc)) from None
        except runs.InvalidState as exc:
            raise Conflict(str(exc)) from None
        except ValidationError as exc:
            return invalid_input(exc, "hook payload")
        return Response({"ok": True, "run_id": step.run.public_id, "step_id": step.step_id})
