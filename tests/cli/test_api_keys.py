"""``keystroke api-keys``: create, list and revoke, against the server's /api/api-keys routes."""

from __future__ import annotations

import re

import pytest
import yaml

from history.models import ApiKey
from history.models.accounts import Role, hash_api_key

from .conftest import Cli, issue_key

pytestmark = pytest.mark.django_db(transaction=True)

FIELDS = {"id", "name", "prefix", "role", "created_at", "last_used_at", "revoked_at"}


def test_an_admin_creates_lists_and_revokes_keys(cli: Cli) -> None:
    created = cli.ok("api-keys", "create", "--name", "ci-deploy", "--role", "viewer")
    assert created.stderr == "", "JSON output carries the key itself; no note is needed"
    body = created.json()
    assert FIELDS | {"key"} <= set(body) and re.fullmatch(r"key_[0-9a-f]{32}", body["id"])
    assert (body["name"], body["role"], body["revoked_at"]) == ("ci-deploy", "viewer", None)
    stored = ApiKey.objects.get(name="ci-deploy")
    assert (stored.public_id, stored.role, stored.hashed_key) == (
        body["id"],
        "viewer",
        hash_api_key(body["key"]),
    )
    assert body["key"].startswith(body["prefix"])

    assert cli.ok("workflows", "list", KEYSTROKE_API_KEY=body["key"]).json(), (
        "the new key works at once"
    )

    listed = cli.ok("api-keys", "list").json()
    mine = next(k for k in listed if k["id"] == body["id"])
    assert set(mine) >= FIELDS and "key" not in mine, "a key is shown only when it is created"
    assert {
        k["name"] for k in yaml.safe_load(cli.ok("api-keys", "list", "--output", "yaml").stdout)
    } >= {
        "cli-tests",
        "ci-deploy",
    }
    table = cli.ok("api-keys", "list", "--output", "table").stdout.splitlines()
    assert table[0].split() == [
        "ID",
        "NAME",
        "PREFIX",
        "ROLE",
        "CREATED_AT",
        "LAST_USED_AT",
        "REVOKED_AT",
    ]
    assert any(line.startswith(body["id"]) and "ci-deploy" in line for line in table[1:])

    revoked = cli.ok("api-keys", "revoke", body["id"]).json()
    assert (
        revoked["id"] == body["id"] and revoked["revoked_at"] is not None and "key" not in revoked
    )
    stored.refresh_from_db()
    assert stored.revoked_at is not None
    assert cli.fails("workflows", "list", KEYSTROKE_API_KEY=body["key"]).stderr.startswith(
        "error: Unknown or revoked API key"
    )
    assert (
        cli.fails("--verbose", "api-keys", "revoke", body["id"]).stderr.count("HTTP status: 409")
        == 1
    )
    assert (
        "HTTP status: 404" in cli.fails("--verbose", "api-keys", "revoke", "key_" + "0" * 32).stderr
    )


def test_a_created_key_as_a_table_comes_with_a_warning(cli: Cli) -> None:
    created = cli.ok("api-keys", "create", "--name", "laptop", "--output", "table")
    assert created.stderr == "Store this key now: it is not shown again.\n"
    key = re.search(r"^key +(ks_\S+)$", created.stdout, re.M)
    assert key, created.stdout
    assert ApiKey.objects.get(name="laptop").hashed_key == hash_api_key(key.group(1))
    assert ApiKey.objects.get(name="laptop").role == Role.OPERATOR, "operator is the default role"

    only_key = cli.ok("api-keys", "create", "--name", "script", "--field", "key").stdout.strip()
    assert ApiKey.objects.get(name="script").hashed_key == hash_api_key(only_key)


def test_only_admins_manage_keys(cli: Cli) -> None:
    operator = issue_key(Role.OPERATOR, "operator")
    for args in (("api-keys", "list"), ("api-keys", "create", "--name", "sneaky")):
        refused = cli.fails("--verbose", *args, KEYSTROKE_API_KEY=operator)
        assert "HTTP status: 403" in refused.stderr
    assert not ApiKey.objects.filter(name="sneaky").exists()
    assert cli("api-keys", "create", "--name", "x", "--role", "owner").code == 1, (
        "roles are checked before sending"
    )
