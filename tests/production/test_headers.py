"""Pages send a Content-Security-Policy that allows only the app's own files; API answers are never
cached.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from rest_framework.test import APIClient

from history.models import Membership, Organization, Run
from history.models.accounts import Role

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


@pytest.fixture
def alice(org: Organization) -> Client:
    user = User.objects.create_user(
        "alice", password="pw-12345678", is_staff=True, is_superuser=True
    )
    Membership.objects.create(user=user, organization=org, role=Role.ADMIN)
    client = Client()
    client.force_login(user)
    return client


def test_history_pages_allow_only_their_own_scripts_and_styles(
    alice: Client, org: Organization
) -> None:
    run = Run.objects.create(
        organization=org, project=org.default_project(), slug="greeting", input={"a": 1}
    )
    for url in (
        "/history/",
        f"/history/{run.public_id}/",
        f"/history/{run.public_id}/?tab=steps",
        "/accounts/login/",
    ):
        directives = policy(alice.get(url))
        assert directives["default-src"] == ["'self'"]
        assert directives["script-src"] == ["'self'"], url
        assert directives["style-src"] == ["'self'"], url
        assert directives["object-src"] == ["'none'"] and directives["base-uri"] == ["'none'"]
        assert directives["frame-ancestors"] == ["'none'"] and directives["form-action"] == [
            "'self'"
        ]


def test_templates_have_no_inline_script_style_or_event_handler(
    alice: Client, org: Organization
) -> None:
    run = Run.objects.create(
        organization=org,
        project=org.default_project(),
        slug="greeting",
        status="failed",
        error={"type": "X"},
    )
    for tab in ("overview", "steps", "metadata", "trace"):
        body = alice.get(f"/history/{run.public_id}/?tab={tab}").content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body), tab
        assert not re.search(r"<style|\sstyle=|\son[a-z]+=", body), tab


def test_the_api_docs_run_their_inline_setup_by_nonce_only(alice: Client) -> None:
    response = alice.get("/api/docs/")
    assert response.status_code == 200
    directives = policy(response)
    nonce = re.search(r"'nonce-([^']+)'", " ".join(directives["script-src"])).group(1)  # type: ignore[union-attr]
    assert "'unsafe-inline'" not in directives["script-src"] + directives["style-src"]
    body = response.content.decode()
    inline = re.findall(r"<(script|style)(?![^>]*\bsrc=)([^>]*)>", body)
    assert inline and all(f'nonce="{nonce}"' in attributes for _, attributes in inline)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/runs"),
        ("get", "/api/workflows"),
        ("get", "/api/runs/nope"),
        ("post", "/hooks/not-a-token"),
        ("post", "/triggers/no-such-endpoint"),
        ("get", "/api/docs/"),
    ],
)
def test_api_hook_and_trigger_answers_are_never_stored_by_a_cache(
    org: Organization, api: APIClient, method: str, url: str
) -> None:
    response = getattr(api, method)(url)
    assert "no-store" in response["Cache-Control"], (url, response.status_code)
    anonymous = getattr(APIClient(), method)(url)
    assert "no-store" in anonymous["Cache-Control"], (url, anonymous.status_code)
