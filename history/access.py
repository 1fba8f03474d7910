"""Who is asking: the organization, role and label of a request's user or API key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import BadRequest
from django.http import Http404

from .models import ApiKey, AuditEvent, Membership, Organization, Run
from .models.accounts import Role, default_project_id_of_organization, role_allows
from .throttle import client_ip


@dataclass(frozen=True)
class Actor:
    organization: Organization
    role: str
    label: str
    user: Any = None
    api_key: ApiKey | None = None
    address: str | None = None  # the client's, for requests: recorded with every change it makes
    # The organization's default project, when the lookup of the actor read it (requests do).
    default_project_id: int | None = None

    def can(self, role: str) -> bool:
        return role_allows(self.role, role)

    def audit(self, action: str, target: str, **details: Any) -> AuditEvent:
        if self.address:
            details = {**details, "address": self.address}
        return AuditEvent.objects.create(
            organization=self.organization,
            actor=self.label,
            actor_user=self.user,
            actor_api_key=self.api_key,
            action=action,
            target=target,
            details=details,
        )


def actor_for_request(request: Any) -> Actor | None:
    """The request's actor, or None when it has no organization to act in.

    Found once per request: the view, the run filter and the hook-token middleware all ask.
    """
    actor = known_actor(request)
    if actor is None:
        actor = _find_actor(request)
        if actor is not None:  # an answer of nobody may change once DRF has authenticated
            getattr(request, "_request", request)._keystroke_actor = actor
    return actor


def known_actor(request: Any) -> Actor | None:
    """The request's actor if something has asked for it already; never a query."""
    underlying = getattr(request, "_request", request)  # a DRF request wraps Django's
    return getattr(underlying, "_keystroke_actor", None)


def _find_actor(request: Any) -> Actor | None:
    auth = getattr(request, "auth", None)
    address = client_ip(request)
    if isinstance(auth, ApiKey):
        return Actor(
            auth.organization,
            auth.role,
            f"key:{auth.name}",
            api_key=auth,
            address=address,
            default_project_id=getattr(auth, "default_project_id", None),
        )
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    membership = (
        Membership.objects.select_related("organization")
        .annotate(default_project_id=default_project_id_of_organization())
        .filter(user=user)
        .first()
    )
    if membership is not None:
        return Actor(
            membership.organization,
            membership.role,
            user.get_username(),
            user=user,
            address=address,
            default_project_id=getattr(membership, "default_project_id", None),
        )
    if user.is_superuser:
        return Actor(
            Organization.objects.default(),
            Role.ADMIN,
            user.get_username(),
            user=user,
            address=address,
        )
    return None


def get_run_for_actor(actor: Actor, public_id: str) -> Run:
    """The actor's run with that id: 400 for a malformed id, 404 for another organization's run."""
    try:
        runs = Run.objects.by_public_id(public_id)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    try:
        return runs.select_related("project").get(organization=actor.organization)
    except Run.DoesNotExist:
        raise Http404(f"No run {public_id} in your organization.") from None
