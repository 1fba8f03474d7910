"""The run envelope of the API and its optional parts."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from .. import listing
from ..models import Run, Step
from . import shapes

INCLUDES = ("steps", "trace", "usage", "trigger", "messages")
USAGE_FIELDS = (
    "kind",
    "provider",
    "model",
    "service",
    "tokens_in",
    "tokens_out",
    "quantity",
    "unit",
    "unit_price_in",
    "unit_price_out",
    "cost",
    "created_at",
)
SPAN_FIELDS = (
    "trace_id",
    "span_id",
    "parent_span_id",
    "name",
    "kind",
    "status",
    "started_at",
    "ended_at",
    "attributes",
)
LOG_FIELDS = ("span_id", "created_at", "level", "logger", "message", "attributes")


class StepSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="step_id")
    attempts = serializers.SerializerMethodField()
    attempt_errors = shapes.AttemptsField(source="attempts")
    error = shapes.StepErrorField()
    child_run_id = serializers.SerializerMethodField()

    class Meta:
        model = Step
        fields = [
            "id",
            "position",
            "kind",
            "status",
            "attempts",
            "attempt_errors",
            "input",
            "output",
            "error",
            "started_at",
            "finished_at",
            "wake_at",
            "child_run_id",
            "parent_position",
            "resumed_by",
            "cost",
            "copied",
        ]
        read_only_fields = fields  # always written: a generated client's fields are not optional

    def get_attempts(self, step: Step) -> int:
        return len(step.attempts) or (
            1 if step.status in (Step.Status.SUCCESS, Step.Status.FAILED) else 0
        )

    def get_child_run_id(self, step: Step) -> str | None:
        return step.child_run.public_id if step.child_run_id and step.child_run else None


class RunSerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id")
    error = shapes.RunErrorField()
    trigger = shapes.RunTriggerField()
    project = serializers.CharField(source="project.slug")
    parent_id = serializers.SerializerMethodField()
    rerun_of_id = serializers.SerializerMethodField()
    models = serializers.ListField(child=serializers.CharField(), source="models_used")
    services = serializers.ListField(child=serializers.CharField(), source="services_used")
    url = serializers.SerializerMethodField()

    class Meta:
        model = Run
        fields = [
            "id",
            "kind",
            "slug",
            "status",
            "input",
            "output",
            "error",
            "trigger",
            "actor",
            "project",
            "parent_id",
            "rerun_of_id",
            "attempt",
            "version",
            "created_at",
            "started_at",
            "finished_at",
            "queue_ms",
            "duration_ms",
            "total_cost",
            "models",
            "services",
            "step_count",
            "message_count",
            "url",
        ]
        read_only_fields = fields  # always written: a generated client's fields are not optional

    def get_trigger(self, run: Run) -> dict[str, Any]:
        trigger = {"type": run.trigger_type, "label": run.trigger_label}
        if "trigger" in self.context.get("include", ()):
            trigger |= {"id": run.trigger_id, "raw": run.trigger_raw}
        return trigger

    def get_parent_id(self, run: Run) -> str | None:
        return run.parent.public_id if run.parent_id and run.parent else None

    def get_rerun_of_id(self, run: Run) -> str | None:
        return run.rerun_of.public_id if run.rerun_of_id and run.rerun_of else None

    def get_url(self, run: Run) -> str:
        request = self.context.get("request")
        return (
            request.build_absolute_uri(run.get_absolute_url())
            if request
            else run.get_absolute_url()
        )

    def to_representation(self, run: Run) -> dict[str, Any]:
        data = super().to_representation(run)
        include = self.context.get("include", ())
        if "steps" in include:
            data["steps"] = StepSerializer(run.steps.select_related("child_run"), many=True).data
        if "usage" in include:
            data["usage"] = list(run.usage_items.values(*USAGE_FIELDS))
        if "trace" in include:
            data["trace"] = {
                "spans": list(run.spans.values(*SPAN_FIELDS)),
                "logs": list(run.log_records.values(*LOG_FIELDS)),
            }
        if "messages" in include:
            data["messages"] = run.conversation
        return data


def _fields(obj: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _listed_part(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """A span or a log record in a list: its attributes as a preview, a log's message cut short."""
    data = _fields(obj, tuple(n for n in names if n not in ("attributes", "message")))
    data["attributes"] = listing.preview(obj, "attributes")
    if "message" in names:
        data["message"] = listing.short_text(obj.message_preview)
    return data


class ListedPayloads(serializers.Serializer):
    """``input``, ``output`` and ``error`` as a list shows them: previews and the error's
    summary.
    """

    input = shapes.PreviewField()
    output = shapes.PreviewField()
    error = shapes.ErrorSummaryField()

    def get_input(self, obj: Any) -> dict[str, Any] | None:
        return listing.preview(obj, "input")

    def get_output(self, obj: Any) -> dict[str, Any] | None:
        return listing.preview(obj, "output")

    def get_error(self, obj: Any) -> dict[str, Any] | None:
        return listing.error_summary(obj)


class StepListSerializer(ListedPayloads, StepSerializer):  # type: ignore[misc]  # its error wins
    """A step as a list shows it: payload previews, the error's summary, the count of attempts."""

    class Meta(StepSerializer.Meta):
        fields = [f for f in StepSerializer.Meta.fields if f != "attempt_errors"]

    def get_attempts(self, step: Any) -> int:  # a step annotated by history.listing
        return step.attempt_count or (
            1 if step.status in (Step.Status.SUCCESS, Step.Status.FAILED) else 0
        )


class RunListSerializer(ListedPayloads, RunSerializer):  # type: ignore[misc]  # its error wins
    """A run in ``GET /api/runs``: previews of its payloads and at most a few of each included part.

    ``input`` and ``output`` are ``{"preview", "size", "truncated"}`` (the first 1,024 characters
    of the JSON and its size in bytes), and so are a trigger's raw value and a span's or log's
    attributes; ``error`` has no traceback, a log's message is cut; ``api_url`` has it all.
    """

    api_url = serializers.SerializerMethodField()
    trigger = shapes.ListedRunTriggerField()  # type: ignore[assignment]

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "api_url"]

    def get_api_url(self, run: Run) -> str:
        path = reverse("history-api:run-detail", args=[run.public_id])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def to_representation(self, run: Any) -> dict[str, Any]:  # a run with history.listing's parts
        data = super(RunSerializer, self).to_representation(run)
        include = self.context.get("include", ())
        if "steps" in include:
            data["steps"] = StepListSerializer(run.listed_steps, many=True).data
        if "usage" in include:
            data["usage"] = [_fields(item, USAGE_FIELDS) for item in run.listed_usage]
        if "trace" in include:
            data["trace"] = {
                "spans": [_listed_part(span, SPAN_FIELDS) for span in run.listed_spans],
                "logs": [_listed_part(record, LOG_FIELDS) for record in run.listed_logs],
            }
        return data

    def get_trigger(self, run: Run) -> dict[str, Any]:
        trigger: dict[str, Any] = {"type": run.trigger_type, "label": run.trigger_label}
        if "trigger" in self.context.get("include", ()):
            trigger |= {"id": run.trigger_id, "raw": listing.preview(run, "trigger_raw")}
        return trigger


def parse_include(raw: str) -> tuple[str, ...]:
    """``?include=steps,trace`` as a tuple; raises ValueError naming unknown parts."""
    parts = tuple(p.strip() for p in raw.split(",") if p.strip())
    unknown = [p for p in parts if p not in INCLUDES]
    if unknown:
        raise ValueError(
            f"include={','.join(unknown)} is not known: choose from {', '.join(INCLUDES)}."
        )
    return parts


# For the schema: the envelopes with the parts ``include`` adds to them.
@extend_schema_serializer(component_name="Run")
class RunWithParts(RunSerializer):
    steps = StepSerializer(many=True, required=False, help_text="With include=steps.")
    usage = shapes.UsageItem(many=True, required=False, help_text="With include=usage.")
    trace = shapes.TracePart(required=False, help_text="With include=trace.")
    messages = shapes.Message(
        many=True, required=False, help_text="An agent's conversation; with include=messages."
    )

    class Meta(RunSerializer.Meta):
        fields = [*RunSerializer.Meta.fields, "steps", "usage", "trace", "messages"]


@extend_schema_serializer(component_name="ListedRun")
class ListedRunWithParts(RunListSerializer):
    steps = StepListSerializer(
        many=True, required=False, help_text="With include=steps: the first few."
    )
    usage = shapes.UsageItem(many=True, required=False, help_text="With include=usage.")
    trace = shapes.ListedTrace(required=False, help_text="With include=trace: the first few.")

    class Meta(RunListSerializer.Meta):
        fields = [*RunListSerializer.Meta.fields, "steps", "usage", "trace"]
