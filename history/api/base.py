"""The base of the API views that act for someone: ``self.actor``, the request's organization,
role and label, found once per request (IsOrganizationMember refuses a request without one)."""

from __future__ import annotations

from typing import Protocol

from rest_framework.exceptions import NotAuthenticated
from rest_framework.request import Request
from rest_framework.views import APIView

from ..access import Actor, actor_for_request
from ..permissions import NO_CREDENTIALS

# No docstrings on these classes: drf-spectacular would show one as the description of every
# operation whose view has none.


class _View(Protocol):
    request: Request


class ActsForActor:
    @property
    def actor(self: _View) -> Actor:
        actor = actor_for_request(self.request)
        if actor is None:
            raise NotAuthenticated(NO_CREDENTIALS)
        return actor


class ActorAPIView(ActsForActor, APIView):
    pass
