"""``keystroke triggers``: webhook and schedule triggers, a thin layer over the API."""

from __future__ import annotations

import sys
from typing import Any

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
    """The URL that fires a webhook trigger, to paste into another service.

    A webhook whose sender signs its deliveries (GitHub, Stripe, Standard Webhooks) also needs
    its secret there: the second line shows it to admins.
    """
    row = client().get(f"/api/triggers/{slug}")
    emit(row, field="url")
    if row.get("type") == "webhook" and row.get("verify", "keystroke") != "keystroke":
        _show_secret(row)


@triggers.command("secret")
@click.argument("slug", shell_complete=trigger_slugs)
@click.option(
    "--set", "set_", is_flag=True, help="Read the sender's secret from standard input and keep it."
)
@click.option("--rotate", is_flag=True, help="Make a new secret; the old one stops working.")
def triggers_secret(slug: str, set_: bool, rotate: bool) -> None:
    """A webhook's secret (admins): show it, set the one its sender made, or rotate it."""
    if set_ and rotate:
        raise click.UsageError("Give --set or --rotate, not both.")
    if set_:
        tty = sys.stdin.isatty()  # a pipe gives it as its first line, never shown or in history
        secret = (
            click.prompt("Secret", hide_input=True, err=True) if tty else sys.stdin.readline()
        ).strip()
        row = client().post(f"/api/triggers/{slug}/secret", {"secret": secret})
    elif rotate:
        row = client().post(f"/api/triggers/{slug}/secret", {})
    else:
        row = client().get(f"/api/triggers/{slug}")
    _show_secret(row, bare=True)


def _show_secret(row: dict[str, Any], bare: bool = False) -> None:
    slug = row["trigger"]
    if row.get("type") != "webhook":
        raise click.ClickException(
            f"{slug} is a {row.get('type')} trigger: only webhooks have a secret."
        )
    if row.get("secret") is None:
        message = f"Only admins see webhook {slug}'s secret."
    elif not row["secret"]:
        # the sender shows its secret once it knows the URL
        message = (
            f"Webhook {slug} has no signing secret yet: copy it from the sender and run "
            f"`keystroke triggers secret {slug} --set`."
        )
    else:
        click.echo(row["secret"] if bare else f"secret ({row['verify']}): {row['secret']}")
        return
    if bare:
        raise click.ClickException(message)
    click.echo(f"note: {message}", err=True)  # the URL printed is still the answer


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
