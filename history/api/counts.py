"""GET /api/runs/counts and GET /api/runs/failures: the counts per status of the list's filters,
and the failed runs grouped by fingerprint. Both take every filter GET /api/runs takes."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_serializer
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from ..counts import STATUSES, StatusCount, count_by_status
from ..failures import PAGE_ERROR, FailureGroup, failure_filters, failure_groups, page_number
from ..filters import RunFilter
from ..models import Run
from .base import ActsForActor


class StatusCountSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Exact, or the cap when there are more.")
    exact = serializers.BooleanField(help_text="false: more than `count` runs have the status.")
    estimate = serializers.IntegerField(
        allow_null=True, help_text="When not exact: the database's estimate of the runs, if any."
    )


CountsPerStatusSerializer = type(
    "CountsPerStatusSerializer",
    (serializers.Serializer,),
    {str(status): StatusCountSerializer() for status in STATUSES},
)


@extend_schema_serializer(many=False)
class RunCountsSerializer(serializers.Serializer):
    counts = CountsPerStatusSerializer()
    total = serializers.IntegerField(help_text="The sum, estimates included.")
    exact = serializers.BooleanField(help_text="Every count is exact.")
    cap = serializers.IntegerField(help_text="Counts stop here; past it they are estimated.")


class FailureGroupSerializer(serializers.Serializer):
    fingerprint = serializers.CharField(help_text="Pass it as `fingerprint=` to list the runs.")
    type = serializers.CharField()
    message = serializers.CharField(help_text="The message of the group's latest recorded run.")
    pattern = serializers.CharField(help_text="The message as grouped, e.g. `after <n>s`.")
    count = serializers.IntegerField()
    first_seen = serializers.DateTimeField()
    last_seen = serializers.DateTimeField()
    example_run_id = serializers.CharField(help_text="The group's latest recorded run.")
    runs_url = serializers.CharField(help_text="GET /api/runs of the group's runs.")


@extend_schema_serializer(many=False)
class FailuresSerializer(serializers.Serializer):
    failures = FailureGroupSerializer(many=True)
    page = serializers.IntegerField()
    next_page = serializers.IntegerField(allow_null=True)


def _count(count: StatusCount) -> dict[str, Any]:
    return {"count": count.count, "exact": count.exact, "estimate": count.estimate}


class FilteredRuns(ActsForActor, viewsets.GenericViewSet):
    filterset_class = RunFilter
    pagination_class = None
    queryset = Run.objects.none()  # for the schema generator; requests use get_queryset

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return Run.objects.for_organization(self.actor.organization.pk)


class RunCountsViewSet(FilteredRuns):
    serializer_class = RunCountsSerializer

    @extend_schema(
        summary="Count the runs of each status that the filters match",
        description="Exact up to `cap` runs per status; past it `exact` is false, `count` is the "
        "cap and `estimate` the database's estimate, so counting stays fast at millions of runs.",
    )
    def list(self, request: Request) -> Response:
        counts = count_by_status(self.filter_queryset(self.get_queryset()))
        return Response(
            {
                "counts": {str(c.status): _count(c) for c in counts.statuses},
                "total": counts.total,
                "exact": counts.exact,
                "cap": counts.cap,
            }
        )


class RunFailuresViewSet(FilteredRuns):
    serializer_class = FailuresSerializer

    @extend_schema(
        summary="Failed runs grouped by error type and message fingerprint, most frequent first",
        parameters=[
            OpenApiParameter("page", int, description="From 1; 25 groups a page."),
            OpenApiParameter("status", exclude=True),  # failed, always
        ],
    )
    def list(self, request: Request) -> Response:
        number = page_number(request.query_params)
        if number is None:
            raise ValidationError({"page": [PAGE_ERROR]})
        filterset = RunFilter(
            failure_filters(request.query_params), self.get_queryset(), request=request
        )
        if not filterset.is_valid():
            raise ValidationError(filterset.errors)
        page = failure_groups(filterset.qs, number)
        kept = request.query_params.copy()
        for name in ("status", "fingerprint", "page", "cursor"):
            kept.pop(name, None)
        return Response(
            {
                "failures": [self._group(group, kept) for group in page.groups],
                "page": page.number,
                "next_page": page.number + 1 if page.has_next else None,
            }
        )

    def _group(self, group: FailureGroup, kept: QueryDict) -> dict[str, Any]:
        query = kept.copy()
        query["status"], query["fingerprint"] = "failed", group.fingerprint
        return {
            "fingerprint": group.fingerprint,
            "type": group.error_type,
            "message": group.message,
            "pattern": group.pattern,
            "count": group.count,
            "first_seen": group.first_seen,
            "last_seen": group.last_seen,
            "example_run_id": group.run_id,
            "runs_url": self.request.build_absolute_uri(
                f"{reverse('history-api:run-list')}?{query.urlencode()}"
            ),
        }
