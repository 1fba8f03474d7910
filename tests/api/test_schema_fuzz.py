"""The OpenAPI schema: valid, covering every route, and fuzzed by schemathesis without a 5xx."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.urls import get_resolver
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, settings
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error

from history.models import ApiKey, Organization
from history.models.accounts import Role
from keystroke_site.wsgi import application

pytestmark = pytest.mark.django_db


def generated_schema() -> dict:
    # The same document /api/schema/ serves, made in-process so it can be loaded at collection.
    return json.loads(
        json.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str)
    )


schema = schemathesis.openapi.from_dict(generated_schema())
schema.app = application  # calls go through Django's WSGI handler in this process


def api_routes() -> set[str]:
    """Every URL pattern under /api/ and /hooks/, written the way the schema writes paths."""
    routes = set()
    for pattern in get_resolver().url_patterns:
        for inner in getattr(pattern, "url_patterns", [pattern]):
            route = str(getattr(inner.pattern, "_route", ""))
            if route.startswith(("api/", "hooks/")) and not route.startswith(
                ("api/schema", "api/docs")
            ):
                routes.add(
                    "/"
                    + route.replace("<str:pk>", "{id}")
                    .replace("<slug:slug>", "{slug}")
                    .replace("<str:slug>", "{slug}")
                    .replace("<str:token>", "{token}")
                    .replace("<str:name>", "{name}")
                    .replace("<str:other>", "{other}")
                )
    return routes


def test_the_schema_is_valid_openapi_and_covers_every_route() -> None:
    document = generated_schema()
    validate_schema(document)
    assert document["openapi"].startswith("3.")
    assert api_routes() <= set(document["paths"]), api_routes() - set(document["paths"])
    assert {"bearerAuth", "apiKeyHeader"} <= set(document["components"]["securitySchemes"])


def test_the_schema_and_the_docs_are_served_to_members(api: APIClient, admin_client) -> None:
    assert api.get("/api/schema/?format=json").json()["info"]["title"] == "Keystroke API"
    assert APIClient().get("/api/schema/").status_code == 401
    docs = admin_client.get("/api/docs/")  # a signed-in superuser: the browser's session
    assert (
        docs.status_code == 200
        and b"swagger-ui" in docs.content
        and b"/static/drf_spectacular_sidecar/" in docs.content
    )

    assert admin_client.get("/api/docs/", HTTP_ACCEPT="application/xml").status_code == 200, (
        "the page is HTML"
    )


@pytest.mark.parametrize("accept", ["application/xml", "vvvv", "*/*"])
def test_the_docs_refuse_an_unknown_key_whatever_the_accept_header(accept: str) -> None:
    response = Client().get("/api/docs/", HTTP_X_API_KEY="ks_unknown", HTTP_ACCEPT=accept)
    assert response.status_code == 401  # a 406 rendered through the page's template was a 500


@pytest.fixture
def admin_key(org: Organization) -> Iterator[str]:
    # As Django's test client does: requests must not close the test's transaction-bound connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield ApiKey.issue(org, "fuzz", Role.ADMIN)[1]
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_request_makes_the_api_fail_with_a_5xx(case, admin_key: str) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {admin_key}"}, checks=[not_a_server_error]
    )
