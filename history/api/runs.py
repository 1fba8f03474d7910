"""GET /api/runs and GET /api/runs/<id>: the record, read-only (actions live in workflows.api).

A list carries previews of each run's payloads; the run's own URL carries them whole, as JSON
or, with ``?format=md``, as the Markdown of history.markdown.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from ..access import get_run_for_actor
from ..filters import RunFilter
from ..listing import LIST_INCLUDES, LIST_PAGE_WITH_PARTS, runs_for_list
from ..markdown import run_markdown
from ..models import Run
from .base import ActsForActor
from .serializers import (
    INCLUDES,
    ListedRunWithParts,
    RunListSerializer,
    RunSerializer,
    RunWithParts,
    parse_include,
)
from .waiting import MOVING, WAIT, wait_seconds, wait_while_moving

MAX_UTC_OFFSET = timedelta(hours=14)
FORMATS = ("json", "md")


class MarkdownRenderer(BaseRenderer):
    media_type = "text/markdown"
    format = "md"
    charset = "utf-8"

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        return str(data).encode()


class RunCursorPagination(CursorPagination):
    ordering = ("-created_at", "-id")
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500
    invalid_cursor_message = (
        "The cursor is malformed: pass back the `next` or `previous` link unchanged."
    )

    def get_page_size(self, request: Request) -> int | None:
        size = super().get_page_size(request)
        if size and request.query_params.get("include"):
            return min(size, LIST_PAGE_WITH_PARTS)
        return size

    def decode_cursor(self, request: Request) -> Any:
        try:
            cursor = super().decode_cursor(request)
        except Exception as exc:  # DRF answers 404 for a bad cursor; a malformed request is a 400
            raise ValidationError({"cursor": [self.invalid_cursor_message]}) from exc
        # DRF trusts the position inside the cursor; a forged one must not reach the query.
        try:
            position = parse_datetime(str(cursor.position)) if cursor and cursor.position else None
            # A forged offset (-23:59 on the first day of year 1) is past what PostgreSQL takes,
            # and can leave the range of a UTC time: no real zone is more than 14 hours out.
            offset = position.utcoffset() if position is not None else None
            fits = position is not None and offset is not None and abs(offset) <= MAX_UTC_OFFSET
            utc = position.astimezone(UTC) if position is not None and fits else None
        except (ValueError, OverflowError):
            utc = None
        if cursor and cursor.position and utc is None:
            raise ValidationError({"cursor": [self.invalid_cursor_message]})
        return cursor


WHERE = OpenApiParameter(
    "where",
    str,
    many=True,
    explode=True,
    description="Search inside payloads, repeatable and ANDed: `PATH OP VALUE`, e.g. "
    "`input.email=ada@acme.io`, `output.score>=80`, `error.type~Timeout`. PATH is `input`, "
    "`output` or `error` then keys (`input.user.email`; digits index an array, "
    "`input.items.0.sku`). OP is `=` (the value, or an array holding it), `!=`, `>`, `>=`, `<`, "
    "`<=` (numbers numerically, text as text) or `~` (contains, case-insensitive). VALUE is a "
    'number, `true`, `false`, `null`, a JSON string in quotes (`"80"` is text) or plain text. '
    "A missing path matches nothing; a malformed clause is a 400 naming it.",
)


def include_parameter(parts: tuple[str, ...], where: str) -> OpenApiParameter:
    return OpenApiParameter(
        "include",
        str,
        description=f"Comma-separated parts to add {where}: "
        + ", ".join(f"`{part}`" for part in parts)
        + ". `trigger` adds the trigger's attachment id and raw value.",
    )


@extend_schema_view(
    list=extend_schema(
        parameters=[WHERE, include_parameter(LIST_INCLUDES, "to each run (the first few)")],
        responses=ListedRunWithParts(many=True),
    )
)
class RunViewSet(ActsForActor, viewsets.ReadOnlyModelViewSet):
    serializer_class = RunSerializer
    renderer_classes = [JSONRenderer, MarkdownRenderer]
    filterset_class = RunFilter
    pagination_class = RunCursorPagination
    lookup_value_regex = "[^/]+"
    queryset = Run.objects.none()  # for the schema generator; requests use get_queryset

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return (
            Run.objects.for_organization(self.actor.organization.pk)
            .select_related("project", "parent", "rerun_of")
            .order_by("-created_at", "-id")
        )

    def get_serializer_class(self) -> type[RunSerializer]:
        return RunListSerializer if self.action == "list" else RunSerializer

    def filter_queryset(self, queryset: Any) -> Any:
        queryset = super().filter_queryset(queryset)
        return runs_for_list(queryset, self.include()) if self.action == "list" else queryset

    def include(self) -> tuple[str, ...]:
        try:
            include = parse_include(self.request.query_params.get("include", ""))
        except ValueError as exc:
            raise ValidationError({"include": [str(exc)]}) from None
        if self.action == "list" and (
            refused := [part for part in include if part not in LIST_INCLUDES]
        ):
            raise ValidationError(
                {
                    "include": [
                        f"include={','.join(refused)} is served for one run only: GET "
                        "/api/runs/<id>?include=…"
                    ]
                }
            )
        return include

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "include": self.include()}

    def get_renderers(self) -> list[BaseRenderer]:
        if self.action == "list":
            return [JSONRenderer()]
        return super().get_renderers()

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # DRF answers an unknown ?format= with a bare 404; it is a mistake in the request.
        fmt = request.query_params.get("format")
        if not force and fmt is not None and fmt not in FORMATS:
            raise ValidationError(
                {"format": [f"format={fmt} is not known: choose from {', '.join(FORMATS)}."]}
            )
        if not force and fmt == "md" and self.action == "list":
            raise ValidationError(
                {"format": ["format=md is served for one run only: GET /api/runs/<id>?format=md"]}
            )
        return super().perform_content_negotiation(request, force)

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        # Errors are the API's JSON envelope, whatever format was asked for.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "format",
                str,
                enum=FORMATS,
                description="`md`: the run as Markdown (identity, status, input, output or "
                "error, steps, usage; payloads cut), for an issue or an AI assistant.",
            ),
            WAIT,
            include_parameter(INCLUDES, "to the run"),
        ],
        responses={
            (200, "application/json"): RunWithParts,
            (200, "text/markdown"): OpenApiTypes.STR,
        },
    )
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        seconds = wait_seconds(request)
        self.include()  # a bad include is refused before the wait, not after it
        run = get_run_for_actor(self.actor, pk or "")
        if seconds and run.status in MOVING:
            wait_while_moving(run.uid, seconds)
            run = get_run_for_actor(self.actor, pk or "")
        if request.accepted_renderer.format == "md":
            return Response(run_markdown(run, request.build_absolute_uri))
        return Response(self.get_serializer(run).data)
