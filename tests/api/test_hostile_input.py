"""Hostile input answers 4xx naming what is wrong, and creates nothing; never a 500.

Each case is one that answered 500 before: JSON nested thousands deep, lone surrogates,
non-finite numbers, NUL in a path, a query, a header or a saved view, a forged cursor.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from history.models import Membership, Organization, Run, SavedView, Step, TriggerDelivery
from workflows.triggers.state import state

pytestmark = pytest.mark.django_db

DEEP = ("[" * 10_000 + "]" * 10_000).encode()
SURROGATE = b'{"name": "\\ud800", "message": "\\ud800", "kind": "\\ud800", "marker": "m"}'
INFINITE = b'{"v": 1e999, "name": 1e999}'


@pytest.fixture
def hook(org: Organization) -> str:
    """A schema-less hook waiting for its payload."""
    run = Run.objects.create(
        organization=org, project=org.default_project(), slug="approval", status="waiting"
    )
    Step.objects.create(
        run=run, position=0, step_id="step:approval#0", kind="hook", status="waiting", token="tok"
    )
    return "tok"


@pytest.fixture
def routes(org: Organization, api: APIClient, hook: str) -> dict[str, Callable[[bytes], Any]]:
    """Every route that takes a JSON body, each as a function of the raw body."""
    secret = state(org, "orders").secret

    def post(client: Any, path: str) -> Callable[[bytes], Any]:
        return lambda body: client.post(path, data=body, content_type="application/json")

    return {
        "start": post(api, "/api/workflows/greeting"),
        "prompt": post(api, "/api/agents/lead-researcher/prompt"),
        "webhook": post(Client(), f"/triggers/orders?token={secret}"),
        "invoke": post(api, "/api/triggers/orders/invoke"),
        "hook": post(Client(), f"/hooks/{hook}"),
    }


def assert_refused(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.content[:500]
    error = response.json()["error"]
    for word in words:
        assert word in error["message"], error["message"]


def assert_nothing_created() -> None:
    assert Run.objects.filter(status="queued").count() == 0
    assert not TriggerDelivery.objects.exists()
    assert Step.objects.get(token="tok").status == "waiting"


@pytest.mark.parametrize("route", ["start", "prompt", "webhook", "invoke", "hook"])
def test_json_nested_too_deep_is_a_400_that_states_the_limit(
    routes: dict[str, Any], route: str
) -> None:
    assert_refused(routes[route](DEEP), 400, "nested", "64")
    assert_nothing_created()


@pytest.mark.parametrize("route", ["start", "prompt", "webhook", "invoke", "hook"])
def test_a_lone_surrogate_is_a_400(routes: dict[str, Any], route: str) -> None:
    assert_refused(routes[route](SURROGATE), 400, "surrogate")
    assert_nothing_created()


@pytest.mark.parametrize("route", ["start", "hook"])
def test_a_number_too_large_for_a_float_is_a_400(routes: dict[str, Any], route: str) -> None:
    assert_refused(routes[route](INFINITE), 400, "1e999")
    assert_nothing_created()


def test_nesting_within_the_limit_is_accepted_by_a_schema_less_hook(routes: dict[str, Any]) -> None:
    body = '{"a": ' * 60 + "1" + "}" * 60
    assert routes["hook"](body.encode()).status_code == 200


@pytest.mark.parametrize("path", ["/hooks/abc%00def", "/api/runs/run_%00", "/triggers/orders%00"])
def test_nul_in_a_path_is_a_400(path: str) -> None:
    for method in ("get", "post"):
        assert_refused(getattr(Client(), method)(path), 400, "NUL")


def test_nul_in_a_query_or_a_header_is_a_400(org: Organization, api: APIClient) -> None:
    secret = state(org, "orders").secret
    body = b'{"kind": "paid", "marker": "m"}'
    client = Client()
    cases = [
        client.post(
            f"/triggers/orders?token={secret}&x=%00", data=body, content_type="application/json"
        ),
        client.post(
            f"/triggers/orders?token={secret}",
            data=body,
            content_type="application/json",
            HTTP_USER_AGENT="bad\x00agent",
        ),
        client.post(
            f"/triggers/orders?token={secret}",
            data=body,
            content_type="application/json",
            HTTP_X_CUSTOM="a\x00b",
        ),
        client.post(
            f"/triggers/orders?token={secret}",
            data=body,
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="k\x00",
        ),
        api.get("/api/runs?q=%00"),
        api.get("/api/runs?where=input.email%3Da%00b"),
    ]
    for response in cases:
        assert_refused(response, 400, "NUL")
    assert not Run.objects.exists()


def test_nul_in_a_saved_view_is_refused_and_nothing_is_saved(org: Organization) -> None:
    user = User.objects.create_user("ada", password="pw")
    Membership.objects.create(user=user, organization=org, role="viewer")
    client = Client()
    client.force_login(user)
    for data in (
        {"name": "bad\x00name", "query": "status=failed"},
        {"name": "ok", "query": "q=a\x00b"},
    ):
        response = client.post("/history/views/", data)
        assert response.status_code == 400, response.content[:300]
        assert b"NUL" in response.content
    assert not SavedView.objects.exists()


@pytest.mark.parametrize("offset", ["-23:59", "+23:59"])
def test_a_cursor_forged_with_an_extreme_offset_is_a_400(api: APIClient, offset: str) -> None:
    year = "0001-01-01T00:00:00" if offset.startswith("-") else "9999-12-31T23:59:59"
    position = f"{year}{offset}"
    cursor = base64.b64encode(f"o=0&p={position}".encode()).decode()
    response = api.get("/api/runs", {"cursor": cursor})
    assert response.status_code == 400, response.content[:300]
    assert "cursor" in response.json()["error"]["details"]


# -- generated hostile bodies -----------------------------------------------------------------

SPECIALS = ["\\ud800", "\\udfff", "\\u0000", "\\\\", '\\"', "\\u00e9"]
MARK = "\u00a4"  # stands in a generated string where a special escape goes
text = st.text(alphabet=["a", "é", MARK, " "], max_size=6)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | text
)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(text, inner, max_size=4),
    max_leaves=12,
)


@st.composite
def hostile_bodies(draw: st.DrawFn) -> bytes:
    """JSON, or nearly: NaN and huge numbers, escapes of surrogates and NUL, deep nesting."""
    # NaN and Infinity come out as bare words, as some senders write them
    body = json.dumps(draw(values))
    body = body.replace("\\u00a4", draw(st.sampled_from(SPECIALS)))
    if draw(st.booleans()):
        depth = draw(st.sampled_from([2, 63, 64, 65, 500, 3000]))
        body = "[" * depth + body + "]" * depth
    if draw(st.booleans()):
        body = body.replace("1", "1e999", 1)
    return body.encode("utf-8", "surrogatepass")


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=hostile_bodies(), route=st.sampled_from(["start", "prompt", "webhook", "invoke", "hook"])
)
def test_generated_hostile_bodies_never_answer_5xx_and_a_refusal_creates_nothing(
    routes: dict[str, Any], body: bytes, route: str
) -> None:
    runs, deliveries = Run.objects.count(), TriggerDelivery.objects.count()
    response = routes[route](body)
    assert response.status_code < 500, (route, body[:200], response.content[:300])
    if response.status_code >= 400:
        assert set(response.json()["error"]) == {"type", "message", "details"}
        assert (Run.objects.count(), TriggerDelivery.objects.count()) == (runs, deliveries)


def test_a_search_text_past_its_limit_is_a_400_naming_q(org: Organization, api: APIClient) -> None:
    # 50,000 characters was a 500 on SQLite: "LIKE or GLOB pattern too complex".
    refused = api.get("/api/runs", {"q": "a" * 1001})
    assert refused.status_code == 400
    text = refused.content.decode()
    assert "q" in refused.json()["error"]["details"] and "1000" in text.replace(",", "")
    assert api.get("/api/runs", {"q": "a" * 1000}).status_code == 200
    assert api.get("/api/runs/counts", {"q": "a" * 50_000}).status_code == 400
