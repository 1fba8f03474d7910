from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, QueryDict

from ..access import Actor, actor_for_request


def actor_or_403(request: HttpRequest) -> Actor:
    actor = actor_for_request(request)
    if actor is None:
        raise PermissionDenied("Your account belongs to no organization: ask an admin to add you.")
    return actor


def query_without(query: QueryDict, *names: str) -> str:
    """The query string less some parameters, for links that keep the filters."""
    copy = query.copy()
    for name in names:
        copy.pop(name, None)
    return copy.urlencode()
