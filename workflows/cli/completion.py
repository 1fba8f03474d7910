"""Shell completion: ``keystroke completion bash|zsh|fish`` prints click's script for the shell.

The script calls ``keystroke`` back with ``_KEYSTROKE_COMPLETE`` set; click answers those calls
in ``cli.main`` before any command runs.
"""

from __future__ import annotations

from typing import Any

import click
from click.shell_completion import CompletionItem, get_completion_class

from .common import client
from .errors import CliError

COMPLETE_VAR = "_KEYSTROKE_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script for SHELL.

    \b
    Load it in every new shell:
      bash: eval "$(keystroke completion bash)"   in ~/.bashrc
      zsh:  eval "$(keystroke completion zsh)"    in ~/.zshrc, after compinit
      fish: keystroke completion fish | source    in ~/.config/fish/config.fish
    """
    root = ctx.find_root()
    script_class = get_completion_class(shell)
    if script_class is None:  # click knows every shell in SHELLS; this keeps mypy honest
        raise click.UsageError(f"no completion for {shell}")
    click.echo(script_class(root.command, {}, root.info_name or "keystroke", COMPLETE_VAR).source())


def workflow_slugs(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    return _slugs("/api/workflows", incomplete)


def trigger_slugs(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    return _slugs("/api/triggers", incomplete)


def _slugs(path: str, incomplete: str) -> list[CompletionItem]:
    try:
        items: list[dict[str, Any]] = client().get(path)["results"]
    except (CliError, KeyError, TypeError):
        return []  # no server or no key: offer nothing rather than print an error into the prompt
    return [
        CompletionItem(item["slug"], help=item.get("name") or None)
        for item in items
        if isinstance(item.get("slug"), str) and item["slug"].startswith(incomplete)
    ]
