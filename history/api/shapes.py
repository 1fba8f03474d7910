"""The shapes of the run envelope's parts, for the OpenAPI schema, so a generated client is typed
end to end. They describe what ``history.api.serializers`` writes; the fields at the end are the
JSON columns and computed values written as they are, typed by these shapes.

Free-form (any JSON) only where the shape is the user's: workflow input and output, a trigger's
raw value, span and log attributes, a tool call's arguments and results, an error's details.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

ANY = serializers.JSONField  # a value whose shape is the user's
MESSAGE_ROLES = ["system", "user", "assistant", "tool", "retry", "error"]


class Preview(serializers.Serializer):
    preview = serializers.CharField(help_text="The first 1,024 characters of the JSON.")
    size = serializers.IntegerField(help_text="The whole JSON's size in bytes.")
    truncated = serializers.BooleanField()


class RunTrigger(serializers.Serializer):
    type = serializers.CharField(help_text="api, cli, ui, webhook, schedule, poll, workflow, …")
    # the metaclass takes declared fields off the class: a field may have a Field attribute's name
    label = serializers.CharField(help_text='"Webhook · signup", "CLI", …')  # type: ignore[assignment]
    id = serializers.CharField(required=False, help_text="The attachment; with include=trigger.")
    raw = ANY(
        required=False,
        help_text="The raw trigger value (headers without secrets, the cron slot, the poll "
        "cursor…); with include=trigger.",
    )


class ListedRunTrigger(RunTrigger):
    raw = Preview(required=False, help_text="A preview of the raw value; with include=trigger.")  # type: ignore[assignment]


class RunError(serializers.Serializer):
    """A failure: more keys (attempts, conversation, details of the error's type) may follow."""

    type = serializers.CharField()
    message = serializers.CharField()
    step_id = serializers.CharField(allow_null=True)
    traceback = serializers.CharField(required=False)


class ErrorSummary(serializers.Serializer):
    type = serializers.CharField(allow_null=True)
    message = serializers.CharField(allow_null=True, help_text="Cut short.")
    step_id = serializers.CharField(allow_null=True)


class AttemptError(serializers.Serializer):
    """A step's failure, or one failed attempt of it."""

    type = serializers.CharField()
    message = serializers.CharField()
    traceback = serializers.CharField(required=False)


class UsageItem(serializers.Serializer):
    kind = serializers.CharField(help_text="llm or service")
    provider = serializers.CharField()
    model = serializers.CharField()
    service = serializers.CharField()
    tokens_in = serializers.IntegerField()
    tokens_out = serializers.IntegerField()
    quantity = serializers.FloatField()
    unit = serializers.CharField()
    unit_price_in = serializers.FloatField()
    unit_price_out = serializers.FloatField()
    cost = serializers.FloatField()
    created_at = serializers.DateTimeField()


class SpanPart(serializers.Serializer):
    trace_id = serializers.CharField()
    span_id = serializers.CharField()
    parent_span_id = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.CharField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    attributes = ANY()


class LogPart(serializers.Serializer):
    span_id = serializers.CharField()
    created_at = serializers.DateTimeField()
    level = serializers.CharField()
    logger = serializers.CharField()
    message = serializers.CharField()
    attributes = ANY()


class TracePart(serializers.Serializer):
    spans = SpanPart(many=True)
    logs = LogPart(many=True)


class ListedSpan(SpanPart):
    attributes = Preview(allow_null=True)  # type: ignore[assignment]


class ListedLog(LogPart):
    attributes = Preview(allow_null=True)  # type: ignore[assignment]
    message = serializers.CharField(help_text="Cut short.")


class ListedTrace(serializers.Serializer):
    spans = ListedSpan(many=True)
    logs = ListedLog(many=True)


class ToolCall(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    arguments = ANY()


class Message(serializers.Serializer):
    """One message of an agent's conversation."""

    role = serializers.ChoiceField(MESSAGE_ROLES)
    content = ANY(help_text="Text, or what a tool returned.")
    model = serializers.CharField(required=False, allow_null=True)
    name = serializers.CharField(
        required=False, allow_null=True, help_text="The tool of a tool or retry message."
    )
    tool_call_id = serializers.CharField(required=False, allow_null=True)
    tool_calls = ToolCall(many=True, required=False)


class TraceRun(serializers.Serializer):
    id = serializers.CharField()
    slug = serializers.CharField()
    status = serializers.CharField()
    trace_id = serializers.CharField()


class TraceWait(serializers.Serializer):
    kind = serializers.CharField(help_text="What was waited on: a sleep, a hook, a child run…")
    step_id = serializers.CharField()
    status = serializers.CharField()
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    wakes_at = serializers.DateTimeField(allow_null=True)
    attempt = serializers.IntegerField(allow_null=True)
    child_run = serializers.CharField(allow_null=True)


@extend_schema_serializer(component_name="Trace")
class TraceDocument(serializers.Serializer):
    version = serializers.IntegerField()
    run = TraceRun()
    spans = SpanPart(many=True)
    waits = TraceWait(many=True)
    logs = LogPart(many=True)


# JSON columns written as they are stored, described by their shapes.
@extend_schema_field(RunError(allow_null=True))
class RunErrorField(serializers.JSONField):
    pass


@extend_schema_field(AttemptError(many=True))
class AttemptsField(serializers.JSONField):
    pass


@extend_schema_field(AttemptError(allow_null=True))
class StepErrorField(serializers.JSONField):
    pass


@extend_schema_field(RunTrigger)
class RunTriggerField(serializers.SerializerMethodField):
    pass


@extend_schema_field(ListedRunTrigger)
class ListedRunTriggerField(serializers.SerializerMethodField):
    pass


@extend_schema_field(Preview(allow_null=True))
class PreviewField(serializers.SerializerMethodField):
    pass


@extend_schema_field(ErrorSummary(allow_null=True))
class ErrorSummaryField(serializers.SerializerMethodField):
    pass


@extend_schema_field(
    {
        "type": "object",
        "description": "GET /api/runs's query: each parameter's value, or its values.",
        "additionalProperties": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]
        },
    }
)
class RunFilterField(serializers.JSONField):
    pass
