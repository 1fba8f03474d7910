"""The ``keystroke`` command tree. Exit status: 0 on success, 1 on any failure."""

from __future__ import annotations

import sys
from typing import Any

import click

from . import config
from .agents import agents
from .api_keys import api_keys
from .bulk import bulk_cancel, bulk_job, bulk_retry
from .client import Client
from .common import (
    SEARCH_HELP,
    WHERE_HELP,
    client,
    include_option,
    include_params,
    list_runs,
    output_options,
    parse_json,
    show_run,
    start_and_follow,
    status_option,
    statuses,
    summary_option,
    wait_options,
)
from .compare import history_compare
from .completion import completion, workflow_slugs
from .dev import dev
from .errors import CliError
from .failures import history_counts, history_failures
from .output import emit, to_json
from .pauses import PAUSED_COLUMNS, pause, resume
from .serve import serve
from .target import target
from .triggers import triggers


class KeystrokeGroup(click.Group):
    """Reports a CliError as one line while the context still knows about --verbose."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CliError as exc:
            report(exc, verbose=bool(ctx.meta.get("keystroke.verbose")))
            ctx.exit(1)


def report(exc: CliError, verbose: bool) -> None:
    click.echo(f"error: {exc.message}", err=True)
    if verbose and exc.status is not None:
        click.echo(f"HTTP status: {exc.status}", err=True)
    if verbose and exc.details:
        click.echo(f"details: {to_json(exc.details)}", err=True)


def limit_option(default: int) -> Any:
    text = "At most this many runs, newest first."
    return click.option(
        "--limit", type=click.IntRange(1, 10_000), default=default, show_default=True, help=text
    )


@click.group(cls=KeystrokeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--verbose", "-v", is_flag=True, help="On errors, show the HTTP status and the details."
)
@click.version_option(package_name="keystroke", message="%(prog)s %(version)s")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Keystroke: run and inspect durable workflows.

    Commands talk to the current target (see `keystroke target show`); KEYSTROKE_URL and
    KEYSTROKE_API_KEY override it.
    """
    ctx.meta["keystroke.verbose"] = verbose


# -- workflows ---------------------------------------------------------------------------------


@cli.group()
def workflows() -> None:
    """List, run and inspect workflows."""


@workflows.command("list")
@output_options
def workflows_list(fmt: str, field: str | None) -> None:
    """The registered workflows."""
    emit(client().get("/api/workflows")["results"], fmt, field, PAUSED_COLUMNS)


@workflows.command("run")
@click.argument("slug", shell_complete=workflow_slugs)
@click.option("--input", "raw_input", help="The input, a JSON object.")
@wait_options
@summary_option
@output_options
def workflows_run(
    slug: str,
    raw_input: str | None,
    no_wait: bool,
    timeout: float,
    idempotency_key: str | None,
    summary: bool,
    fmt: str,
    field: str | None,
) -> None:
    """Start a run; by default wait for it and print its output."""
    body = parse_json(raw_input, "--input")
    start_and_follow(
        f"/api/workflows/{slug}", body, no_wait, timeout, fmt, field, summary, idempotency_key
    )


@workflows.group("runs")
def workflow_runs() -> None:
    """Runs of one workflow."""


@workflow_runs.command("list")
@click.argument("slug", shell_complete=workflow_slugs)
@status_option
@limit_option(20)
@output_options
def runs_list(slug: str, status: tuple[str, ...], limit: int, fmt: str, field: str | None) -> None:
    """Recent runs of a workflow, newest first."""
    emit(list_runs(client(), {"workflow": slug, "status": statuses(status)}, limit), fmt, field)


@workflow_runs.command("get")
@click.argument("slug", shell_complete=workflow_slugs)
@click.argument("run_id")
@include_option
@summary_option
@output_options
def runs_get(
    slug: str, run_id: str, include: str, summary: bool, fmt: str, field: str | None
) -> None:
    """One run of a workflow, as the API's run envelope."""
    run = client().get(f"/api/runs/{run_id}", params=include_params(include))
    if run.get("kind") != "workflow" or run.get("slug") != slug:
        raise CliError(
            f"run {run_id} is a run of {run.get('kind')} {run.get('slug')!r}, not of workflow "
            f"{slug!r}"
        )
    show_run(run, fmt, field, summary)


@workflow_runs.command("cancel")
@click.argument("run_id")
@output_options
def runs_cancel(run_id: str, fmt: str, field: str | None) -> None:
    """Cancel a run that has not ended."""
    emit(client().post(f"/api/runs/{run_id}/cancel"), fmt, field)


@workflow_runs.command("retry")
@click.argument("run_id")
@click.option(
    "--from-step",
    metavar="STEP_ID",
    help="Start a new run that copies the steps before this one (e.g. step:charge#0) and runs "
    "it and every later step again.",
)
@click.option(
    "--input",
    "input_json",
    metavar="JSON",
    help="New input for the new run, validated by the workflow; without --from-step the new "
    "run starts from the first step.",
)
@output_options
def runs_retry(
    run_id: str, from_step: str | None, input_json: str | None, fmt: str, field: str | None
) -> None:
    """Retry a failed run from its first unfinished step, in place; or, with --from-step or
    --input, start a new run from a chosen step or with new input (the run must have ended)."""
    body: dict[str, Any] = {}
    if from_step is not None:
        body["from_step"] = from_step
    if input_json is not None:
        body["input"] = parse_json(input_json, "--input")
    emit(client().post(f"/api/runs/{run_id}/retry", body), fmt, field)


# -- history -----------------------------------------------------------------------------------


@cli.group()
def history() -> None:
    """Browse the record of every run."""


@history.command("list")
@click.option("--kind", type=click.Choice(("workflow", "agent")))
@status_option
@click.option("--project", help="Project slug.")
@click.option("--search", help=SEARCH_HELP)
@click.option("--where", "where", multiple=True, help=WHERE_HELP)
@click.option(
    "--fingerprint",
    help="Only the failed runs of one kind of failure: a fingerprint from `history failures`.",
)
@click.option(
    "--version",
    "version",
    metavar="VERSION",
    help="Only the runs started on this project version (a run's `version`), e.g. to see which "
    "runs still need an old code path.",
)
@limit_option(50)
@output_options
def history_list(
    kind: str | None,
    status: tuple[str, ...],
    project: str | None,
    search: str | None,
    where: tuple[str, ...],
    fingerprint: str | None,
    version: str | None,
    limit: int,
    fmt: str,
    field: str | None,
) -> None:
    """Recent runs of every kind, newest first."""
    params = {
        "kind": kind,
        "status": statuses(status),
        "project": project,
        "q": search,
        "where": list(where),  # never split on commas: a value may hold one
        "fingerprint": fingerprint,
        "version": version,
    }
    emit(list_runs(client(), {k: v for k, v in params.items() if v}, limit), fmt, field)


@history.command("get")
@click.argument("run_id")
@include_option
@summary_option
@output_options
def history_get(run_id: str, include: str, summary: bool, fmt: str, field: str | None) -> None:
    """One run, as the API's run envelope."""
    show_run(
        client().get(f"/api/runs/{run_id}", params=include_params(include)), fmt, field, summary
    )


@history.command("markdown")
@click.argument("run_id")
def history_markdown(run_id: str) -> None:
    """One run as Markdown (identity, status, input, output or error, steps, usage), to paste
    into an issue or hand to an AI assistant."""
    click.echo(
        client().get_text(f"/api/runs/{run_id}", "text/markdown", {"format": "md"}), nl=False
    )


# .bulk, .compare, .failures
for command in (
    bulk_cancel,
    bulk_retry,
    bulk_job,
    history_compare,
    history_counts,
    history_failures,
):
    history.add_command(command)


# -- hooks -------------------------------------------------------------------------------------


@cli.group()
def hooks() -> None:
    """Resume runs that wait on a hook."""


HOOK_COLUMNS = ("run_id", "workflow", "hook", "since", "times_out_at")


@hooks.command("list")
@output_options
def hooks_list(fmt: str, field: str | None) -> None:
    """The organization's hooks waiting for an answer, oldest first."""
    emit(client().get("/api/hooks", params={"status": "open"})["results"], fmt, field, HOOK_COLUMNS)


@hooks.command("resume")
@click.argument("token", required=False)
@click.option("--run", "run_id", help="The run whose hook to answer (with --name).")
@click.option("--name", help="The hook's name, as the workflow gave it (with --run).")
@click.option("--payload", help="The hook's payload, JSON.")
@output_options
def hooks_resume(
    token: str | None,
    run_id: str | None,
    name: str | None,
    payload: str | None,
    fmt: str,
    field: str | None,
) -> None:
    """Resume a hook: by its run and name with your API key, or by its token (the last part of
    its resume URL).
    """
    if bool(run_id) != bool(name) or bool(token) == bool(run_id):
        raise CliError("give a hook's TOKEN, or --run and --name together.")
    body = parse_json(payload, "--payload", object_only=False)
    if run_id:
        emit(client().post(f"/api/runs/{run_id}/hooks/{name}", body), fmt, field)
        return
    assert token is not None
    # The token is the credential, so no API key is required or sent.
    current = config.current_target(require_token=False)
    api = Client(config.Target(current.name, current.url, None, current.source))
    emit(api.post(f"/hooks/{token.rstrip('/').rsplit('/', 1)[-1]}", body), fmt, field)


# -- mcp ---------------------------------------------------------------------------------------


@cli.command("mcp")
def mcp() -> None:
    """Serve the Model Context Protocol on stdin/stdout, for a coding agent: its tools list and
    read runs, steps, traces and open hooks, and, with an operator key, cancel and retry runs
    and answer hooks. They act on the current target with its key.

    \b
    In the agent's MCP config: {"command": "keystroke", "args": ["mcp"]}
    """
    api = client()  # no target or no key: one error line now, before the agent connects
    # The MCP SDK takes a second to import: only this command pays for it.
    from .mcp_server import serve_stdio

    serve_stdio(api)


for command in (agents, triggers, api_keys, target, completion, dev, serve):
    cli.add_command(command)
workflows.add_command(pause)
workflows.add_command(resume)


def main() -> None:
    """Console-script entry point; usage errors exit 1 as well, like every other failure."""
    try:
        code = cli.main(prog_name="keystroke", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(1)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
