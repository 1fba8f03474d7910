"""``keystroke triggers``: webhook and schedule triggers, a thin layer over the API."""

from __future__ import annotations

import click

from .common import client, output_options, parse_json
from .completion import trigger_slugs
from .output import emit

TRIGGER_COLUMNS = ("slug", "type", "workflow", "enabled", "url")


@click.group()
def triggers() -> None:
    """List, invoke, enable and disable triggers."""


@triggers.command("list")
@output_options
def triggers_list(fmt: str, field: str | None) -> None:
    """The triggers of the organization."""
    emit(client().get("/api/triggers")["results"], fmt, field, TRIGGER_COLUMNS)


@triggers.command("url")
@click.argument("slug", shell_complete=trigger_slugs)
def triggers_url(slug: str) -> None:
    """The URL that fires a webhook trigger, to paste into another service."""
    emit(client().get(f"/api/triggers/{slug}"), field="url")


@triggers.command("invoke")
@click.argument("slug", shell_complete=trigger_slugs)
@click.option("--input", "raw_input", help="The body to send, a JSON object.")
@output_options
def triggers_invoke(slug: str, raw_input: str | None, fmt: str, field: str | None) -> None:
    """Fire a trigger now, as if its webhook had been called."""
    body = parse_json(raw_input, "--input")
    emit(client().post(f"/api/triggers/{slug}/invoke", body), fmt, field)


@triggers.command("disable")
@click.argument("slug", shell_complete=trigger_slugs)
@output_options
def triggers_disable(slug: str, fmt: str, field: str | None) -> None:
    """Stop a trigger from starting runs until it is enabled again."""
    emit(client().post(f"/api/triggers/{slug}/disable"), fmt, field)


@triggers.command("enable")
@click.argument("slug", shell_complete=trigger_slugs)
@output_options
def triggers_enable(slug: str, fmt: str, field: str | None) -> None:
    """Let a disabled trigger start runs again."""
    emit(client().post(f"/api/triggers/{slug}/enable"), fmt, field)
