"""``keystroke agents``: prompt an agent and wait for its answer, like ``workflows run``."""

from __future__ import annotations

import click

from .common import client, output_options, start_and_follow, summary_option, wait_options
from .output import emit


@click.group()
def agents() -> None:
    """List and prompt agents."""


@agents.command("list")
@output_options
def agents_list(fmt: str, field: str | None) -> None:
    """The registered agents."""
    columns = ("slug", "model", "name", "paused", "paused_by", "description")
    emit(client().get("/api/agents")["results"], fmt, field, columns)


@agents.command("prompt")
@click.argument("slug")
@click.option("--message", "-m", required=True, help="What to ask the agent.")
@wait_options
@summary_option
@output_options
def agents_prompt(
    slug: str,
    message: str,
    no_wait: bool,
    timeout: float,
    idempotency_key: str | None,
    summary: bool,
    fmt: str,
    field: str | None,
) -> None:
    """Start an agent run with a message; by default wait for it and print its output."""
    body = {"message": message}
    start_and_follow(
        f"/api/agents/{slug}/prompt", body, no_wait, timeout, fmt, field, summary, idempotency_key
    )
