"""Cancel, retry and rerun a run over the API."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from history.access import get_run_for_actor
from history.api.base import ActorAPIView
from history.api.serializers import RunSerializer
from history.models.accounts import Role
from history.permissions import require_role

from ..run_actions import ACTIONS
from .openapi import ERRORS


class RunActionView(ActorAPIView):
    """POST /api/runs/<id>/cancel | retry | rerun."""

    actions = ACTIONS

    @extend_schema(
        request=None,
        responses={200: RunSerializer, 201: RunSerializer, **ERRORS},
        summary="Change a run",
    )
    def post(self, request: Request, pk: str, action: str) -> Response:
        require_role(self.actor, Role.OPERATOR)
        run = get_run_for_actor(self.actor, pk)
        result = self.actions[action](run, self.actor)
        code = status.HTTP_201_CREATED if action == "rerun" else status.HTTP_200_OK
        return Response(RunSerializer(result, context={"request": request}).data, status=code)
