"""The shapes of the engine API's answers, for the OpenAPI schema."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import serializers

from history.api.serializers import RunSerializer

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
        "run": RunSerializer(required=False, help_text="With ?wait: the run as it is then."),
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
OPEN_HOOKS = inline_serializer(
    "OpenHooks",
    {
        "results": inline_serializer(
            "OpenHook",
            {
                "run_id": serializers.CharField(),
                "workflow": serializers.CharField(),
                "hook": serializers.CharField(),
                "step_id": serializers.CharField(),
                "since": serializers.DateTimeField(),
                "times_out_at": serializers.DateTimeField(allow_null=True),
                "schema": serializers.JSONField(allow_null=True),
            },
            many=True,
        ),
    },
)
DELIVERED = inline_serializer(
    "WebhookDelivered",
    {
        "run_id": serializers.CharField(required=False),
        "run_ids": serializers.ListField(child=serializers.CharField(), required=False),
        "ok": serializers.BooleanField(required=False),
        "skipped": serializers.BooleanField(required=False),
        "reason": serializers.CharField(required=False),
    },
)
TRIGGERS = inline_serializer(
    "TriggerPage", {"results": serializers.ListField(child=serializers.JSONField())}
)
# Firing a trigger: runs started (202), nothing started and why (200), or a filter or transform
# failed (422).
ANSWERS = {200: DELIVERED, 202: DELIVERED, 422: OpenApiResponse(ERRORS[400].response), **ERRORS}
