"""``/api/runs/bulk``: cancel or retry every run a filter matches, in the background.

Starting and stopping a job needs the operator role; any member of the organization may follow
one (``GET``), as they may read the runs it changes.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from history import bulk as history_bulk
from history.api.base import ActorAPIView
from history.api.shapes import RunFilterField
from history.bulk import BulkInputError
from history.models import BulkJob
from history.models.accounts import Role
from history.permissions import require_role

from ..bulk import start_bulk, stop_bulk
from .bodies import read_json
from .openapi import ERRORS

LISTED_JOBS = 50

BULK_REQUEST = inline_serializer(
    "BulkRequest",
    {
        "action": serializers.ChoiceField(choices=BulkJob.Action.choices),
        "filter": RunFilterField(help_text='GET /api/runs\'s query, e.g. {"status": …}'),
        "reason": serializers.CharField(help_text="Required unless dry_run."),
        "dry_run": serializers.BooleanField(default=False),
    },
)
BULK_STARTED = inline_serializer(
    "BulkStarted",
    {
        "count": serializers.IntegerField(),
        "matching": serializers.IntegerField(required=False),
        "job_id": serializers.CharField(allow_null=True),
        "url": serializers.URLField(required=False),
    },
)
_BULK_JOB_FIELDS: dict[str, serializers.Field] = {
    "job_id": serializers.CharField(),
    "action": serializers.CharField(),
    "status": serializers.CharField(),
    "filter": RunFilterField(),
    "reason": serializers.CharField(),
    "count": serializers.IntegerField(),
    "processed": serializers.IntegerField(),
    "changed": serializers.IntegerField(),
    "skipped": serializers.IntegerField(),
    "batches": serializers.IntegerField(),
    "percent": serializers.IntegerField(),
    "created_by": serializers.CharField(),
    "stopped_by": serializers.CharField(),
    "error": serializers.CharField(),
    "created_at": serializers.DateTimeField(),
    "started_at": serializers.DateTimeField(allow_null=True),
    "finished_at": serializers.DateTimeField(allow_null=True),
    "url": serializers.URLField(),
}
BULK_JOB = OpenApiResponse(inline_serializer("BulkJob", _BULK_JOB_FIELDS))
BULK_JOBS = inline_serializer(
    "BulkJobPage", {"results": inline_serializer("BulkJob", _BULK_JOB_FIELDS, many=True)}
)


def job_body(request: Request, job: BulkJob) -> dict[str, Any]:
    fields = ("action", "status", "filter", "reason", "count", "processed", "changed")
    return {
        "job_id": job.public_id,
        **{name: getattr(job, name) for name in fields},
        "skipped": job.skipped,
        "batches": job.batches,
        "percent": job.percent,
        "created_by": job.created_by,
        "stopped_by": job.stopped_by,
        "error": job.error,
        "created_at": job.created_at,
        "started_at": job.started_at,
        "finished_at": job.finished_at,
        "url": request.build_absolute_uri(job.get_absolute_url()),
    }


def _refused(exc: BulkInputError) -> ValidationError:
    return ValidationError({exc.field: [exc.message]})


class BulkView(ActorAPIView):
    @extend_schema(
        responses={200: BULK_JOBS, **ERRORS},
        summary="The organization's bulk jobs, newest first",
    )
    def get(self, request: Request) -> Response:
        jobs = BulkJob.objects.filter(organization=self.actor.organization)
        rows = [job_body(request, job) for job in jobs.order_by("-created_at")[:LISTED_JOBS]]
        return Response({"results": rows})

    @extend_schema(
        request=BULK_REQUEST,
        responses={200: BULK_STARTED, 202: BULK_STARTED, **ERRORS},
        summary="Cancel or retry every run a filter matches (dry_run counts them)",
    )
    def post(self, request: Request) -> Response:
        require_role(self.actor, Role.OPERATOR)
        body = read_json(request)
        if not isinstance(body, dict):
            raise ValidationError({"body": ["Send a JSON object: action, filter, reason."]})
        if "filter" not in body:  # never every run by omission
            raise ValidationError(
                {"filter": ["Required: GET /api/runs's query as an object; {} is every run."]}
            )
        dry_run = body.get("dry_run", False)
        if not isinstance(dry_run, bool):
            raise ValidationError({"dry_run": ["Give true or false."]})
        try:
            if dry_run:
                found = history_bulk.preview(
                    self.actor.organization.pk, body.get("action"), body["filter"]
                )
                return Response({"count": found.count, "matching": found.matching, "job_id": None})
            job = start_bulk(self.actor, body.get("action"), body["filter"], body.get("reason"))
        except BulkInputError as exc:
            raise _refused(exc) from None
        url = request.build_absolute_uri(reverse("workflows-api:bulk-job", args=[job.public_id]))
        answer = {"count": job.count, "job_id": job.public_id, "url": url}
        return Response(answer, status=status.HTTP_202_ACCEPTED)


class BulkJobView(ActorAPIView):
    @extend_schema(responses={200: BULK_JOB, **ERRORS}, summary="A bulk job and its progress")
    def get(self, request: Request, pk: str) -> Response:
        job = history_bulk.get_job_for_actor(self.actor, pk)
        return Response(job_body(request, job))


class BulkStopView(ActorAPIView):
    @extend_schema(request=None, responses={200: BULK_JOB, **ERRORS}, summary="Stop a bulk job")
    def post(self, request: Request, pk: str) -> Response:
        require_role(self.actor, Role.OPERATOR)
        job = history_bulk.get_job_for_actor(self.actor, pk)
        return Response(job_body(request, stop_bulk(self.actor, job)))
