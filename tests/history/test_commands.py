"""The management commands that set up a deployment: migrate, create_user and create_api_key."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from rest_framework.test import APIClient

from history.models import ApiKey, Membership, Organization, Project

pytestmark = pytest.mark.django_db


def test_migrate_leaves_a_default_organization_and_project() -> None:
    assert Project.objects.filter(slug="default", organization__slug="default").exists()


def test_create_api_key_prints_a_working_key_once_and_stores_its_hash() -> None:
    out = StringIO()
    call_command("create_api_key", "--name", "ci", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    key = ApiKey.objects.get(name="ci")
    assert raw.startswith("ks_") and key.hashed_key != raw and key.prefix == raw[:10]
    assert APIClient().get("/api/runs", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_create_user_adds_a_member_creating_the_organization() -> None:
    call_command(
        "create_user",
        "alice",
        "--password",
        "s3cret-pass",
        "--org",
        "acme",
        "--role",
        "operator",
        stdout=StringIO(),
    )
    user = authenticate(username="alice", password="s3cret-pass")
    assert user is not None
    membership = Membership.objects.get(user=user)
    assert (membership.organization.slug, membership.role) == ("acme", "operator")
    assert Organization.objects.get(slug="acme").projects.filter(slug="default").exists()
