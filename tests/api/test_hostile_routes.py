"""Generated hostile paths, headers and bodies sent to every route: never a 5xx, and a 4xx changes
nothing.

The routes come from the URL conf, so a new route is fuzzed without editing this file. Each
example picks a route, fills its parameters with a plausible value or a hostile one (NUL,
broken UTF-8, traversal, huge, odd Unicode), adds a few hostile headers and, for POST, a body
from ``hostile_bodies``, and asks as an anonymous caller or as an admin (who reaches the
deepest code). The routes' role boundaries are the access matrix's business.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from history.models import (
    ApiKey,
    AuditEvent,
    Membership,
    Organization,
    Run,
    SavedView,
    Step,
    TriggerDelivery,
)
from history.models.accounts import Role

from ..routes import Route, routes
from .test_hostile_input import hostile_bodies

pytestmark = pytest.mark.django_db

ROUTES = routes()
# "t" is the token of the admin fixture's waiting hook, so /hooks/<token> reaches a real one.
PLAIN = {
    "slug": "greeting",
    "endpoint": "orders",
    "field": "input",
    "position": "0",
    "action": "cancel",
    "token": "t",
    "name": "approval",
}
FORM = "application/x-www-form-urlencoded"

hostile_text = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "%00",
            "a%00b",
            "%ED%A0%80",
            "%C0%AF",
            "%FF%FE",
            "..%2F..%2Fetc%2Fpasswd",
            "%",
            "%zz",
            "-1",
            "99999999999999999999999",
            "run_" + "0" * 32,
            "run_" + "g" * 32,
            "key_x",
            " ",
            "\u202e",
            "☃",
        ]
    ),
    st.just("x" * 5000),
)
QUERIES = [
    "",
    "?q=%00",
    "?token=%00",
    "?include=steps,trace",
    "?limit=-1",
    "?cursor=%ff",
    "?tab=x",
    "?page=9e9",
    "?format=yaml",
    "?status=failed&status=%ED%A0%80",
    "?" + "a=1&" * 500,
]
HEADERS = [
    "HTTP_USER_AGENT",
    "HTTP_IDEMPOTENCY_KEY",
    "HTTP_X_API_KEY",
    "HTTP_X_FORWARDED_FOR",
    "HTTP_ACCEPT",
    "HTTP_HX_REQUEST",
    "HTTP_X_KEYSTROKE_SIGNATURE",
    "HTTP_COOKIE",
    "HTTP_REFERER",
    "HTTP_ORIGIN",
    "HTTP_ACCEPT_LANGUAGE",
    "HTTP_IF_NONE_MATCH",
    "HTTP_RANGE",
    "HTTP_AUTHORIZATION",
    "CONTENT_TYPE",
]
header_values = st.one_of(
    # A WSGI server hands headers over as bytes decoded as latin-1: nothing above U+00FF.
    st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0xFF), max_size=60),
    st.sampled_from(
        [
            "\x00",
            "a\x00b",
            "Bearer",
            "Bearer \x00",
            "Basic ###",
            "t=,v1=",
            "t=1e999,v1=ab",
            ",,,",
            "application/json; charset=utf-16",
            "multipart/form-data; boundary=",
            "bytes=99-1",
            "*/*;q=x",
            "1.2.3.4, ::ffff:999.1.1.1, garbage",
            "sessionid=\x7f; csrftoken=;",
        ]
    ),
    st.just("v" * 20_000),
)


# What a browser's form posts (the hook page, saved views), NUL and broken escapes included.
form_bodies = st.dictionaries(
    st.sampled_from(["approved", "note", "name", "query", "a%00b", "%ED%A0%80"]),
    st.sampled_from(["true", "false", "", "a%00b", "%ED%A0%80", "%", "x" * 3000])
    | st.text(max_size=20),
    max_size=4,
).map(
    lambda fields: (
        "&".join(f"{quote(k, safe='%')}={quote(v, safe='%')}" for k, v in fields.items())
    ).encode()
)


@st.composite
def requests(draw: st.DrawFn, route: Route) -> dict[str, Any]:
    values = {}
    for param in route.params:
        plain = PLAIN.get(param, "run_" + "0" * 32)
        values[param] = draw(
            st.sampled_from([quote(plain, safe="")]) | hostile_text.map(_path_part)
        )
    headers = draw(st.dictionaries(st.sampled_from(HEADERS), header_values, max_size=3))
    query = draw(
        st.sampled_from(QUERIES) | st.text(max_size=30).map(lambda q: "?q=" + quote(q, safe=""))
    )
    return {
        "path": route.path(values) + query,
        "method": draw(st.sampled_from(["GET", "POST"])),
        "headers": headers,
        "body": draw(
            hostile_bodies().map(lambda b: (b, "application/json"))
            | form_bodies.map(lambda b: (b, FORM))
        ),
        "admin": draw(st.booleans()),
    }


def _path_part(text: str) -> str:
    # Already-encoded samples pass as they are; generated text is encoded, "/" included.
    return text if text.startswith("%") or "%" in text[:3] else quote(text, safe="%")


def counts() -> tuple[int, ...]:
    rows = tuple(
        model.objects.count() for model in (Run, TriggerDelivery, AuditEvent, SavedView, ApiKey)
    )
    return (
        *rows,
        Step.objects.filter(status="waiting").count(),
        Run.objects.filter(status="queued").count(),
    )


@pytest.fixture
def admin(org: Organization) -> tuple[User, str]:
    user = User.objects.create_user("fuzz-admin", password="pw-12345678", is_staff=True)
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    run = Run.objects.create(
        organization=org, project=org.default_project(), slug="approval", status="waiting"
    )
    Step.objects.create(
        run=run,
        position=0,
        step_id="step:hook:approval#0",
        kind="hook",
        status="waiting",
        token="t",
    )
    _, raw = ApiKey.issue(org, "fuzz", Role.ADMIN)
    return user, raw


@pytest.mark.parametrize("route", ROUTES, ids=[route.template for route in ROUTES])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_hostile_requests_to_every_route_never_answer_5xx_and_a_refusal_changes_nothing(
    admin: tuple[User, str], route: Route, data: st.DataObject
) -> None:
    request = data.draw(requests(route))
    client = Client()
    headers = dict(request["headers"])
    if request["admin"]:
        client.force_login(admin[0])
        headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {admin[1]}")
    body, content_type = request["body"]
    content_type = headers.pop("CONTENT_TYPE", content_type)
    before = counts()
    if request["method"] == "GET":
        response = client.get(request["path"], **headers)
    else:
        response = client.post(request["path"], data=body, content_type=content_type, **headers)
    assert response.status_code < 500, (request["path"][:300], response.content[:500])
    if response.status_code >= 400:
        assert counts() == before, (request["path"][:300], response.status_code)
