"""GET /api/runs/<a>/compare/<b>: two runs of the caller's organization told apart."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ..access import get_run_for_actor
from ..compare import compare_runs
from .base import ActorAPIView

# The response as the schema describes it; the body itself is Comparison.as_dict().


class CompareRunSerializer(serializers.Serializer):
    id = serializers.CharField()
    kind = serializers.CharField()
    slug = serializers.CharField()
    status = serializers.CharField()
    created_at = serializers.DateTimeField()
    duration_ms = serializers.IntegerField(allow_null=True)
    total_cost = serializers.DecimalField(max_digits=14, decimal_places=6)
    step_count = serializers.IntegerField()
    url = serializers.CharField()


class ChangeSerializer(serializers.Serializer):
    path = serializers.CharField(help_text="input.items[0].sku, result.output.total, …")
    change = serializers.ChoiceField(choices=["added", "removed", "changed"])
    a = serializers.JSONField(required=False, help_text="The first run's value (not if added).")
    b = serializers.JSONField(required=False, help_text="The second run's value (not if removed).")


class StepSideSerializer(serializers.Serializer):
    position = serializers.IntegerField()
    status = serializers.CharField()
    duration_ms = serializers.IntegerField(allow_null=True)
    cost = serializers.DecimalField(max_digits=14, decimal_places=6)


class AlignedStepSerializer(serializers.Serializer):
    step_id = serializers.CharField()
    a = StepSideSerializer(allow_null=True, help_text="null: only the second run has the step.")
    b = StepSideSerializer(allow_null=True, help_text="null: only the first run has the step.")
    output_differs = serializers.BooleanField(help_text="Its output or error differs.")
    diverges = serializers.BooleanField(help_text="Status or result differs, or one run lacks it.")


class ComparisonSerializer(serializers.Serializer):
    a = CompareRunSerializer()
    b = CompareRunSerializer()
    same_workflow = serializers.BooleanField()
    input = ChangeSerializer(many=True)
    result = ChangeSerializer(many=True, help_text="Paths under result.output and result.error.")
    steps = AlignedStepSerializer(many=True, help_text="The first run's order, then the second's.")
    first_divergence = serializers.CharField(allow_null=True, help_text="A step id.")
    notes = serializers.ListField(child=serializers.CharField())


class RunCompareView(ActorAPIView):
    @extend_schema(
        responses=ComparisonSerializer,
        summary="Compare two runs: input and result diffs, steps aligned by step id",
    )
    def get(self, request: Request, pk: str, other: str) -> Response:
        a = get_run_for_actor(self.actor, pk)
        b = get_run_for_actor(self.actor, other)
        return Response(compare_runs(a, b).as_dict())
