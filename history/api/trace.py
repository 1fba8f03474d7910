"""GET /api/runs/<id>/trace: the run's spans, waits and logs (history.trace_export), as JSON or,
with ``?format=md``, as a Markdown timeline."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from ..access import get_run_for_actor
from ..trace_export import trace_document, trace_markdown
from .base import ActorAPIView
from .runs import FORMATS, MarkdownRenderer
from .shapes import TraceDocument


class RunTraceView(ActorAPIView):
    renderer_classes = [JSONRenderer, MarkdownRenderer]

    def perform_content_negotiation(
        self, request: Request, force: bool = False
    ) -> tuple[BaseRenderer, str]:
        # DRF answers an unknown ?format= with a bare 404; it is a mistake in the request.
        fmt = request.query_params.get("format")
        if not force and fmt is not None and fmt not in FORMATS:
            raise ValidationError(
                {"format": [f"format={fmt} is not known: choose from {', '.join(FORMATS)}."]}
            )
        return super().perform_content_negotiation(request, force)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    @extend_schema(
        summary="A run's trace: spans, waits and logs",
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=FORMATS,
                description="`md`: the timeline as Markdown, for an issue or an AI assistant.",
            )
        ],
        responses={
            (200, "application/json"): TraceDocument,
            (200, "text/markdown"): OpenApiTypes.STR,
        },
    )
    def get(self, request: Request, pk: str) -> Response:
        run = get_run_for_actor(self.actor, pk)
        if request.accepted_renderer.format == "md":
            return Response(trace_markdown(run, request.build_absolute_uri))
        return Response(trace_document(run))
