"""``keystroke target``: which server the CLI talks to."""

from __future__ import annotations

import click

from . import config
from .errors import CliError
from .output import to_json


@click.group()
def target() -> None:
    """Choose the server the CLI talks to."""


@target.command("show")
@click.option(
    "--output", "-o", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True
)
def target_show(fmt: str) -> None:
    """The current server and whether an API key is set (the key is never shown whole)."""
    current = config.current_target(require_token=False)
    info = {
        "name": current.name,
        "url": current.url,
        "key": config.mask(current.token),
        "source": current.source,
        "config": str(config.config_path()),
    }
    click.echo(to_json(info) if fmt == "json" else "\n".join(f"{k}: {v}" for k, v in info.items()))


@target.command("use")
@click.argument("name_or_url")
@click.option(
    "--token", help="API key for the server (create one with `keystroke api-keys create`)."
)
def target_use(name_or_url: str, token: str | None) -> None:
    """`local` for the `keystroke dev` server, a stored target's name, or a URL with --token."""
    if "://" not in name_or_url:
        path = config.select_target(name_or_url)
        click.echo(f"Using target {name_or_url!r} (saved in {path}).")
        return
    if not token:
        raise CliError("a URL needs an API key: keystroke target use <url> --token <key>")
    name = config.name_for_url(name_or_url)
    path = config.store_target(name, name_or_url, token)
    click.echo(
        f"Using {name_or_url.rstrip('/')} as target {name!r}, key {config.mask(token)} (saved in "
        f"{path})."
    )
