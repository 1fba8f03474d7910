"""Cancel, retry and rerun a run over the API; a retry with a body retries from a chosen step."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from history.access import get_run_for_actor
from history.api.base import ActorAPIView
from history.api.serializers import RunSerializer, RunWithParts
from history.models.accounts import Role
from history.permissions import require_role

from ..retry_from_step import retry_from_step
from ..run_actions import ACTIONS
from .bodies import read_json
from .errors import validating
from .openapi import ERRORS

RETRY_FIELDS = ("from_step", "input")
RETRY_BODY = inline_serializer(
    "RetryFromStep",
    {
        "from_step": serializers.CharField(required=False),
        "input": serializers.JSONField(required=False),
    },
)


class RunActionView(ActorAPIView):
    """POST /api/runs/<id>/cancel | retry | rerun."""

    actions = ACTIONS

    @extend_schema(
        request=RETRY_BODY,
        responses={200: RunWithParts, 201: RunWithParts, **ERRORS},
        summary="Change a run",
        description=(
            "cancel and rerun take no body. retry without a body continues a failed or canceled "
            "run in place; with {from_step, input} it starts a new run that copies the steps "
            "before from_step and runs the rest again, with input (validated) in place of the "
            "original's when given."
        ),
    )
    def post(self, request: Request, pk: str, action: str) -> Response:
        require_role(self.actor, Role.OPERATOR)
        run = get_run_for_actor(self.actor, pk)
        body = read_json(request) if action == "retry" else None
        code: int = status.HTTP_201_CREATED if action == "rerun" else status.HTTP_200_OK
        if body:
            from_step, input = retry_body(body)
            with validating(f"input for {run.slug}"):
                result = retry_from_step(run, self.actor, from_step, input)
            code = status.HTTP_201_CREATED
        else:
            result = self.actions[action](run, self.actor)
        return Response(RunSerializer(result, context={"request": request}).data, status=code)


def retry_body(body: Any) -> tuple[str | None, Any | None]:
    """``from_step`` and ``input`` of a retry's body, or a 400 naming the field that is wrong."""
    if not isinstance(body, dict):
        raise ValidationError({"(body)": ['Send a JSON object: {"from_step", "input"}.']})
    unknown = sorted(set(body) - set(RETRY_FIELDS))
    if unknown:
        raise ValidationError(
            {name: ["Unknown field: a retry takes from_step and input."] for name in unknown}
        )
    from_step, input = body.get("from_step"), body.get("input")
    if from_step is not None and not isinstance(from_step, str):
        raise ValidationError({"from_step": ["A step id such as step:charge#0."]})
    if input is not None and not isinstance(input, dict):
        raise ValidationError({"input": ["The workflow's input, a JSON object."]})
    return from_step, input
