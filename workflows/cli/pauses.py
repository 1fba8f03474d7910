"""``keystroke workflows pause|resume``: hold a workflow's or agent's runs, and let them go."""

from __future__ import annotations

import click

from .common import client, output_options
from .completion import workflow_slugs
from .output import emit

PAUSED_COLUMNS = ("slug", "kind", "name", "paused", "paused_by", "description")
REASON = "Why, for the audit log and History."


@click.command("pause")
@click.argument("slug", shell_complete=workflow_slugs)
@click.option("--reason", default="", help=REASON)
@output_options
def pause(slug: str, reason: str, fmt: str, field: str | None) -> None:
    """Pause a workflow or agent: its new and queued runs wait until it is resumed; runs under
    way go on. Pausing a paused one changes nothing."""
    answer = client().post(f"/api/workflows/{slug}/pause", {"reason": reason})
    click.echo(answer["message"], err=True)
    emit(answer, fmt, field)


@click.command("resume")
@click.argument("slug", shell_complete=workflow_slugs)
@click.option("--reason", default="", help=REASON)
@output_options
def resume(slug: str, reason: str, fmt: str, field: str | None) -> None:
    """Resume a paused workflow or agent: its queued runs go to the workers."""
    answer = client().post(f"/api/workflows/{slug}/resume", {"reason": reason})
    click.echo(answer["message"], err=True)
    emit(answer, fmt, field)
