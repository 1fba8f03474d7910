"""The shapes of the engine API's answers, for the OpenAPI schema."""

from __future__ import annotations

from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema_serializer,
    inline_serializer,
)
from rest_framework import serializers

from history.api.serializers import RunWithParts

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
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Up to 200 printable ASCII characters (a UUID is a good key): a repeat answers "
    "what the first request did instead of starting more runs.",
)
_DEFINITION: dict[str, serializers.Field] = {
    "slug": serializers.CharField(),
    "kind": serializers.CharField(),
    "name": serializers.CharField(),
    "description": serializers.CharField(),
    "input_schema": serializers.JSONField(help_text="The input model's JSON Schema."),
    "output_schema": serializers.JSONField(help_text="The output model's JSON Schema."),
    "triggers": serializers.ListField(child=serializers.CharField(), help_text="Attachment ids."),
    "paused": serializers.BooleanField(),
    "paused_by": serializers.CharField(allow_null=True),
    "paused_at": serializers.DateTimeField(allow_null=True),
    "pause_reason": serializers.CharField(allow_null=True),
}
WORKFLOWS = inline_serializer(
    "WorkflowPage",
    {"results": inline_serializer("Workflow", _DEFINITION, many=True)},
)
AGENTS = inline_serializer(
    "AgentPage",
    {
        "results": inline_serializer(
            "Agent",
            {
                **_DEFINITION,
                "model": serializers.CharField(),
                "tools": serializers.ListField(child=serializers.CharField()),
            },
            many=True,
        )
    },
)
STARTED = inline_serializer(
    "RunStarted",
    {
        "run_id": serializers.CharField(),
        "status": serializers.CharField(),
        "url": serializers.URLField(),
        "run": RunWithParts(required=False, help_text="With ?wait: the run as it is then."),
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


@extend_schema_serializer(component_name="Trigger")
class TriggerRow(serializers.Serializer):
    """A trigger, or one attachment of it, as GET /api/triggers lists it."""

    slug = serializers.CharField(
        help_text="The attachment id <trigger>:<target>, or the trigger's."
    )
    trigger = serializers.CharField()
    type = serializers.ChoiceField(["webhook", "schedule", "poll"])
    workflow = serializers.CharField(help_text="The target's slug.")
    enabled = serializers.BooleanField()
    url = serializers.CharField(help_text="A webhook's URL (with ?token= for admins).")
    verify = serializers.CharField(help_text="How a webhook's deliveries are signed.")
    secret = serializers.CharField(
        allow_null=True, help_text="A webhook's secret, for admins; null for others."
    )
    cron = serializers.CharField()
    timezone = serializers.CharField()
    next_fire_at = serializers.DateTimeField(allow_null=True)
    last_fired_at = serializers.DateTimeField(allow_null=True)
    last_run = inline_serializer(
        "TriggerLastRun",
        {"id": serializers.CharField(), "status": serializers.CharField()},
        allow_null=True,
    )
    last_error = serializers.CharField()
    last_skipped_slot = serializers.DateTimeField(allow_null=True)
    last_skip_reason = serializers.CharField()
    # the metaclass takes declared fields off the class: a field may have a Field attribute's name
    source = serializers.CharField(help_text="The file that defines it.")  # type: ignore[assignment]


TRIGGER_ROW = TriggerRow()
TRIGGERS = inline_serializer("TriggerPage", {"results": TriggerRow(many=True)})


class TriggerDefinition(serializers.Serializer):
    slug = serializers.CharField()
    type = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    endpoint = serializers.CharField(required=False)
    verify = serializers.CharField(required=False)
    payload_schema = serializers.JSONField(
        required=False, help_text="A webhook's payload model's JSON Schema."
    )
    cron = serializers.CharField(required=False)
    timezone = serializers.CharField(required=False)
    payload = serializers.JSONField(required=False, help_text="A schedule's static payload.")


@extend_schema_serializer(component_name="TriggerDetail")
class TriggerDetail(TriggerRow):
    attachments = TriggerRow(many=True, required=False, help_text="Of a trigger.")
    definition = TriggerDefinition()


TRIGGER = TriggerDetail()
SECRET_BODY = inline_serializer(
    "TriggerSecret",
    {"secret": serializers.CharField(required=False, help_text="The sender's; none: a new one.")},
)
# Firing a trigger: runs started (202), nothing started and why (200), or a filter or transform
# failed (422).
ANSWERS = {200: DELIVERED, 202: DELIVERED, 422: OpenApiResponse(ERRORS[400].response), **ERRORS}
