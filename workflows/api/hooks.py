"""``/hooks/<token>``: a hook's resume URL, a page for people and JSON for scripts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.parsers import FormParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from history.parsers import StorableJSONParser
from history.throttle import client_ip

from .. import runs
from . import hook_page
from .bodies import check_size, read_json
from .errors import validating
from .openapi import ERRORS, RESUMED


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
