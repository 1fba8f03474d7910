"""Every route of the URL conf × anonymous, viewer, operator, admin × own and other organization ×
GET, POST.

The routes come from the URL conf, so a new one is covered without editing this file: it is
refused to anonymous callers unless listed in PUBLIC, readable by viewers, and changed only by
operators, unless ROLES says otherwise. For every route and caller: no 5xx; another
organization's object answers 404 (403 or 405 when the caller may not even try) and stays as
it was; no answer to one organization names another organization's run, key or saved view.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.test import Client

from history.models import ApiKey, BulkJob, Membership, Organization, Run, SavedView, Step
from history.models.accounts import Role

from ..routes import Route, routes

pytestmark = pytest.mark.django_db

ANONYMOUS = "anonymous"
# Members call with a browser's session or with an API key, which only the API takes.
CALLERS = [(ANONYMOUS, "")] + [
    (role, how) for role in (Role.VIEWER, Role.OPERATOR, Role.ADMIN) for how in ("session", "key")
]
RANK = {ANONYMOUS: 0, Role.VIEWER: 1, Role.OPERATOR: 2, Role.ADMIN: 3}
PUBLIC = "public"

# Routes anyone may call: probes, sign-in, the API's schema, and the two whose URL or
# signature is the credential (hooks, webhooks).
PUBLIC_ROUTES = {
    "",
    "healthz",
    "readyz",
    "metrics",
    "accounts:login",
    "accounts:logout",
    "history-api:schema",
    "history-api:api-docs",
    "workflows-api:hook",
    "workflows-api:webhook",
}
# The least role of each method where it is not "viewer reads, operator changes".
ROLES: dict[str, dict[str, str]] = {
    "accounts:password_change": {"POST": Role.VIEWER},
    "history:save-view": {"POST": Role.VIEWER},
    "history:delete-view": {"POST": Role.VIEWER},
    "history:retry-from-step": {"GET": Role.OPERATOR},  # the form is an action's first half
    "history-api:api-key-list": {"GET": Role.ADMIN, "POST": Role.ADMIN},
    "history-api:api-key-revoke": {"POST": Role.ADMIN},
    # Previewing a bulk action counts with an operator's search (it sees hook tokens).
    "history:bulk-new": {"GET": Role.OPERATOR},
    "history:bulk-count": {"GET": Role.OPERATOR},
    "workflows-api:trigger-disable": {"POST": Role.ADMIN},
    "workflows-api:trigger-enable": {"POST": Role.ADMIN},
    "workflows-api:trigger-secret": {"POST": Role.ADMIN},
}
# Parameters naming an object of one organization; the others name code (slugs) or credentials.
OBJECT_PARAMS = {"run_id", "pk", "job_id"}
API_PATHS = ("/api/", "/hooks/", "/triggers/")


@dataclass
class Tenant:
    org: Organization
    run: Run
    key: ApiKey
    view: SavedView
    job: BulkJob
    token: str
    clients: dict[str, tuple[User, str]]

    def secrets(self) -> list[str]:
        return [self.run.public_id, self.key.public_id, self.view.name, self.token]


def tenant(slug: str) -> Tenant:
    org = (
        Organization.objects.default()
        if slug == "default"
        else Organization.objects.create(slug=slug, name=slug)
    )
    run = Run.objects.create(
        organization=org, project=org.default_project(), slug="approval", status="waiting"
    )
    token = (slug.encode().hex() * 40)[:40]
    Step.objects.create(
        run=run,
        position=0,
        step_id="step:hook:approval#0",
        kind="hook",
        status="waiting",
        token=token,
    )
    key, _ = ApiKey.issue(org, f"{slug}-spare", Role.OPERATOR)
    clients = {}
    for role in (Role.VIEWER, Role.OPERATOR, Role.ADMIN):
        user = User.objects.create_user(
            f"{slug}-{role}", password="pw-12345678", is_staff=role == Role.ADMIN
        )
        Membership.objects.create(user=user, organization=org, role=role)
        _, raw = ApiKey.issue(org, f"{slug}-{role}", role)
        clients[role] = (user, raw)
    view = SavedView.objects.create(
        user=clients[Role.VIEWER][0], name=f"{slug}-failed-view", query="status=failed"
    )
    job = BulkJob.objects.create(
        organization=org, action="cancel", reason="r", count=1, upper_pk=run.pk, created_by="x"
    )
    return Tenant(org, run, key, view, job, token, clients)


def values_for(route: Route, own: Tenant, target: Tenant) -> dict[str, str]:
    """Parameters for ``route``: objects of ``target``, everything else of the caller's own
    organization.
    """
    objects = {
        "history-api:api-key-revoke": target.key.public_id,
        "history:delete-view": str(target.view.pk),
        "workflows-api:bulk-job": target.job.public_id,
        "workflows-api:bulk-stop": target.job.public_id,
    }
    pk = objects.get(route.name, target.run.public_id)
    agents = (
        "workflows-api:agent-prompt",
        "workflows-api:agent-pause",
        "workflows-api:agent-resume",
    )
    slug = dict.fromkeys(agents, "scripted-agent").get(
        route.name, "signup" if "trigger" in route.name else "greeting"
    )
    return {
        "run_id": target.run.public_id,
        "job_id": target.job.public_id,
        "pk": pk,
        # the second run of a comparison: the caller's own, so the first decides
        "other_id": own.run.public_id,
        "other": own.run.public_id,
        "slug": slug,
        "token": own.token,
        "name": "hook:approval",  # the hook of the target's run
        "endpoint": "signup",
        "field": "input",
        "position": "0",
        "action": "cancel",
    }


def ask(caller: str, how: str, own: Tenant, method: str, path: str) -> tuple[int, str, str]:
    client = Client()
    headers = {}
    if how == "session":
        # anew each time: a POST to logout ends the session
        client.force_login(own.clients[caller][0])
    elif how == "key":
        headers["HTTP_AUTHORIZATION"] = f"Bearer {own.clients[caller][1]}"
    if method == "GET":
        response = client.get(path, **headers)
    else:
        response = client.post(path, data="{}", content_type="application/json", **headers)
    return (
        response.status_code,
        response.get("Location", ""),
        response.content.decode(errors="replace"),
    )


def least_role(route: Route, method: str) -> str:
    if route.name in PUBLIC_ROUTES:
        return PUBLIC
    return ROLES.get(route.name, {}).get(method, Role.VIEWER if method == "GET" else Role.OPERATOR)


def refused(caller: str, status: int, location: str) -> bool:
    """Anonymous callers are sent to sign in (401, or 302 to the login page); members get 403."""
    if caller != ANONYMOUS:
        return status in (403, 405)
    return status in (401, 405) or (status == 302 and location.startswith("/accounts/login/"))


def test_every_route_holds_its_role_and_organization_boundaries() -> None:
    own, other = tenant("default"), tenant("acme")
    theirs_before = (
        other.job.status,
        other.run.status,
        other.key.revoked_at,
        SavedView.objects.filter(pk=other.view.pk).exists(),
    )
    problems: list[str] = []
    asked = 0
    for route in routes():
        crosses = bool(OBJECT_PARAMS & set(route.params))
        for target in (own, other) if crosses else (own,):
            path = route.path(values_for(route, own, target))
            for method in ("GET", "POST"):
                need = least_role(route, method)
                for role, how in CALLERS:
                    status, location, body = ask(role, how, own, method, path)
                    asked += 1
                    # A key signs nobody in to a page: there it calls as an anonymous one.
                    caller = ANONYMOUS if how == "key" and not path.startswith(API_PATHS) else role
                    where = (
                        f"{role} ({how or 'no credentials'}) {method} {path} ({route.name}) "
                        f"-> {status}"
                    )
                    if status >= 500:
                        problems.append(f"{where}: a server error")
                    elif target is other and not (
                        status == 404 or refused(caller, status, location)
                    ):
                        problems.append(f"{where}: another organization's object must be a 404")
                    elif (
                        need != PUBLIC
                        and RANK[caller] < RANK[need]
                        and not refused(caller, status, location)
                    ):
                        problems.append(f"{where}: needs {need}, must be refused")
                    elif need != PUBLIC and RANK[caller] >= RANK[need] and status in (401, 403):
                        problems.append(f"{where}: {caller} may do this")
                    # a 404 may echo the path
                    leaked = [s for s in other.secrets() if s in body and s not in path]
                    if leaked:
                        problems.append(f"{where}: shows the other organization's {leaked}")
    assert not problems, "\n".join(problems)
    assert asked > 600
    other.run.refresh_from_db()
    other.key.refresh_from_db()
    other.job.refresh_from_db()
    theirs_after = (
        other.job.status,
        other.run.status,
        other.key.revoked_at,
        SavedView.objects.filter(pk=other.view.pk).exists(),
    )
    assert theirs_after == theirs_before, "another organization's run, key and view are unchanged"
