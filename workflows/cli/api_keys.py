"""``keystroke api-keys``: create, list and revoke the organization's API keys (admin role)."""

from __future__ import annotations

import click

from .common import client, output_options
from .output import emit

ROLES = ("viewer", "operator", "admin")
KEY_COLUMNS = ("id", "name", "prefix", "role", "created_at", "last_used_at", "revoked_at")


@click.group("api-keys")
def api_keys() -> None:
    """Manage API keys (needs an admin key)."""


@api_keys.command("create")
@click.option("--name", required=True, help="What the key is for, e.g. ci-deploy.")
@click.option("--role", type=click.Choice(ROLES), default="operator", show_default=True)
@output_options
def keys_create(name: str, role: str, fmt: str, field: str | None) -> None:
    """Create a key and print it; the server never shows it again."""
    created = client().post("/api/api-keys", {"name": name, "role": role})
    emit(created, fmt, field)
    if fmt != "json" and not field:
        # On stderr, so the table can still be piped while the warning reaches the person.
        click.echo("Store this key now: it is not shown again.", err=True)


@api_keys.command("list")
@output_options
def keys_list(fmt: str, field: str | None) -> None:
    """Every key of the organization, revoked ones included (never the keys themselves)."""
    emit(client().get("/api/api-keys")["results"], fmt, field, KEY_COLUMNS)


@api_keys.command("revoke")
@click.argument("key_id")
@output_options
def keys_revoke(key_id: str, fmt: str, field: str | None) -> None:
    """Revoke a key by its id (key_…): requests made with it fail from now on."""
    emit(client().post(f"/api/api-keys/{key_id}/revoke"), fmt, field)
