"""The ``keystroke`` command tree (§7). Exit status: 0 on success, 1 on any failure."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import click
import httpx

from . import config
from .client import Client
from .dev import dev
from .errors import CliError
from .output import FORMATS, emit, to_json
from .wait import failure, wait_for_run

F = Callable[..., Any]


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


def output_options(fn: F) -> F:
    fn = click.option("--field", help="Print only this dotted path of the result, e.g. output.message.")(fn)
    return click.option("--output", "-o", "fmt", type=click.Choice(FORMATS), default="json", show_default=True)(fn)


def status_option(fn: F) -> F:
    text = "Only runs with this status (repeatable, or comma-separated)."
    return click.option("--status", multiple=True, help=text)(fn)


def include_option(fn: F) -> F:
    return click.option("--include", default="", help="Extra parts: steps,trace,usage,trigger,messages.")(fn)


def client() -> Client:
    return Client(config.current_target())


def parse_json(raw: str | None, option: str, object_only: bool = True) -> Any:
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise CliError(f"{option} is not valid JSON: {exc}") from None
    if object_only and not isinstance(value, dict):
        raise CliError(f'{option} must be a JSON object, like \'{{"name": "Ada"}}\'')
    return value


def list_runs(params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """Follows the cursor until ``limit`` runs are read (one request unless limit > a page)."""
    api = client()
    page = api.get("/api/runs", params={**params, "limit": limit})
    results = list(page["results"])
    while page.get("next") and len(results) < limit:
        # Only the path: the key goes to the target, whatever host the server put in the link.
        page = api.get(httpx.URL(page["next"]).raw_path.decode())
        results.extend(page["results"])
    return results[:limit]


def statuses(values: tuple[str, ...]) -> list[str]:
    return [s.strip() for v in values for s in v.split(",") if s.strip()]


@click.group(cls=KeystrokeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--verbose", "-v", is_flag=True, help="On errors, show the HTTP status and the details.")
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
    emit(client().get("/api/workflows")["results"], fmt, field, ("slug", "kind", "name", "description"))


@workflows.command("run")
@click.argument("slug")
@click.option("--input", "raw_input", help="The input, a JSON object.")
@click.option("--no-wait", is_flag=True, help="Print the run id and return at once.")
@click.option("--timeout", type=click.FloatRange(min=0), default=60, show_default=True, help="Seconds to wait.")
@output_options
def workflows_run(slug: str, raw_input: str | None, no_wait: bool, timeout: float, fmt: str, field: str | None) -> None:
    """Start a run; by default wait for it and print its output."""
    body = parse_json(raw_input, "--input")
    api = client()
    started = api.post(f"/api/workflows/{slug}", body)
    if no_wait:
        emit(started, fmt, field)
        return
    click.echo(f"{started['run_id']} {started['status']}: {started['url']}", err=True)
    run = wait_for_run(api, started["run_id"], timeout)
    if run["status"] != "success":
        raise failure(run)
    emit(run["output"], fmt, field)


@workflows.group("runs")
def workflow_runs() -> None:
    """Runs of one workflow."""


@workflow_runs.command("list")
@click.argument("slug")
@status_option
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@output_options
def runs_list(slug: str, status: tuple[str, ...], limit: int, fmt: str, field: str | None) -> None:
    """Recent runs of a workflow, newest first."""
    emit(list_runs({"workflow": slug, "status": statuses(status)}, limit), fmt, field)


@workflow_runs.command("get")
@click.argument("slug")
@click.argument("run_id")
@include_option
@output_options
def runs_get(slug: str, run_id: str, include: str, fmt: str, field: str | None) -> None:
    """One run of a workflow, as the §6 run envelope."""
    run = client().get(f"/api/runs/{run_id}", params={"include": include} if include else None)
    if run.get("kind") != "workflow" or run.get("slug") != slug:
        raise CliError(f"run {run_id} is a run of {run.get('kind')} {run.get('slug')!r}, not of workflow {slug!r}")
    emit(run, fmt, field)


@workflow_runs.command("cancel")
@click.argument("run_id")
@output_options
def runs_cancel(run_id: str, fmt: str, field: str | None) -> None:
    """Cancel a run that has not ended."""
    emit(client().post(f"/api/runs/{run_id}/cancel"), fmt, field)


@workflow_runs.command("retry")
@click.argument("run_id")
@output_options
def runs_retry(run_id: str, fmt: str, field: str | None) -> None:
    """Retry a failed run from its first unfinished step."""
    emit(client().post(f"/api/runs/{run_id}/retry"), fmt, field)


# -- history -----------------------------------------------------------------------------------


@cli.group()
def history() -> None:
    """Browse the record of every run."""


@history.command("list")
@click.option("--kind", type=click.Choice(("workflow", "agent")))
@status_option
@click.option("--project", help="Project slug.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@output_options
def history_list(
    kind: str | None, status: tuple[str, ...], project: str | None, limit: int, fmt: str, field: str | None
) -> None:
    """Recent runs of every kind, newest first."""
    params = {"kind": kind, "status": statuses(status), "project": project}
    emit(list_runs({k: v for k, v in params.items() if v}, limit), fmt, field)


@history.command("get")
@click.argument("run_id")
@include_option
@output_options
def history_get(run_id: str, include: str, fmt: str, field: str | None) -> None:
    """One run, as the §6 run envelope."""
    emit(client().get(f"/api/runs/{run_id}", params={"include": include} if include else None), fmt, field)


# -- hooks -------------------------------------------------------------------------------------


@cli.group()
def hooks() -> None:
    """Resume runs that wait on a hook."""


@hooks.command("resume")
@click.argument("token")
@click.option("--payload", help="The hook's payload, JSON.")
@output_options
def hooks_resume(token: str, payload: str | None, fmt: str, field: str | None) -> None:
    """Resume a hook by its token (the last part of its resume URL)."""
    body = parse_json(payload, "--payload", object_only=False)
    # The token is the credential (§4.4), so no API key is required or sent.
    target = config.current_target(require_token=False)
    api = Client(config.Target(target.name, target.url, None, target.source))
    emit(api.post(f"/hooks/{token.rstrip('/').rsplit('/', 1)[-1]}", body), fmt, field)


# -- target ------------------------------------------------------------------------------------


@cli.group()
def target() -> None:
    """Choose the server the CLI talks to."""


@target.command("show")
@click.option("--output", "-o", "fmt", type=click.Choice(("text", "json")), default="text", show_default=True)
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
@click.option("--token", help="API key for the server (create one with manage.py create_api_key).")
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
    click.echo(f"Using {name_or_url.rstrip('/')} as target {name!r}, key {config.mask(token)} (saved in {path}).")


cli.add_command(dev)


def main() -> None:
    """Console-script entry point; usage errors exit 1 as well, as §7 asks."""
    try:
        code = cli.main(prog_name="keystroke", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(1)
    except click.Abort:
        click.echo("Aborted.", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)
