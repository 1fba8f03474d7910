"""Pieces every command group shares: the client, reading runs, option decorators, JSON input,
printing a run."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import click
import httpx

from . import config
from .client import Client
from .errors import CliError
from .output import FORMATS, emit
from .summary import summary_line
from .wait import failure, wait_for_run

F = Callable[..., Any]


def client() -> Client:
    return Client(config.current_target())


def list_runs(api: Client, params: dict[str, Any], limit: int) -> list[dict[str, Any]]:
    """Follows the cursor until ``limit`` runs are read (one request unless limit > a page)."""
    page = api.get("/api/runs", params={**params, "limit": limit})
    results = list(page["results"])
    while page.get("next") and len(results) < limit:
        # Only the path: the key goes to the target, whatever host the server put in the link.
        page = api.get(httpx.URL(page["next"]).raw_path.decode())
        results.extend(page["results"])
    return results[:limit]


def output_options(fn: F) -> F:
    fn = click.option(
        "--field", help="Print only this dotted path of the result, e.g. output.message."
    )(fn)
    return click.option(
        "--output", "-o", "fmt", type=click.Choice(FORMATS), default="json", show_default=True
    )(fn)


WHERE_HELP = (
    "Search inside payloads (repeatable, ANDed): PATH OP VALUE, e.g. input.email=ada@acme.io, "
    "output.score>=80, error.type~Timeout; OP is = != > >= < <= or ~ (contains)."
)
SEARCH_HELP = "Run id, slug, error, input or output text."


def statuses(values: tuple[str, ...]) -> list[str]:
    return [s.strip() for v in values for s in v.split(",") if s.strip()]


def status_option(fn: F) -> F:
    text = "Only runs with this status (repeatable, or comma-separated)."
    return click.option("--status", multiple=True, help=text)(fn)


def include_option(fn: F) -> F:
    return click.option(
        "--include", default="", help="Extra parts: steps,trace,usage,trigger,messages."
    )(fn)


def summary_option(fn: F) -> F:
    text = (
        "Print one line for people (id, status, duration, steps, cost, trigger) instead of the "
        "result."
    )
    return click.option("--summary", is_flag=True, help=text)(fn)


def wait_options(fn: F) -> F:
    text = "Seconds to wait."
    fn = click.option(
        "--timeout", type=click.FloatRange(min=0), default=60, show_default=True, help=text
    )(fn)
    fn = click.option("--no-wait", is_flag=True, help="Print the run id and return at once.")(fn)
    key_help = (
        "Start at most one run for this key (a repeat prints the first run); one is made "
        "up when left out."
    )
    return click.option("--idempotency-key", help=key_help)(fn)


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


def start_and_follow(
    path: str,
    body: Any,
    no_wait: bool,
    timeout: float,
    fmt: str,
    field: str | None,
    summary: bool,
    idempotency_key: str | None,
) -> None:
    """POSTs to a route that answers 202 ``{"run_id", "status", "url"}``, then follows the run."""
    if no_wait and summary:
        # Checked before the POST, so a usage mistake starts nothing.
        raise click.UsageError("--summary describes a finished run: leave out --no-wait")
    api = client()
    started = api.start(path, body, idempotency_key or f"cli-{uuid.uuid4()}")
    if no_wait:
        emit(started, fmt, field)
        return
    click.echo(f"{started['run_id']} {started['status']}: {started['url']}", err=True)
    run = wait_for_run(api, started["run_id"], timeout)
    show_finished(run, fmt, field, summary)


def show_finished(run: dict[str, Any], fmt: str, field: str | None, summary: bool) -> None:
    """The output of a run that succeeded; any other ending is an error (exit 1)."""
    if summary:
        # The line goes to stdout whatever the ending: it describes failures too.
        click.echo(summary_line(run))
    if run["status"] != "success":
        raise failure(run)
    if not summary:
        emit(run["output"], fmt, field)


def show_run(run: dict[str, Any], fmt: str, field: str | None, summary: bool) -> None:
    """A run envelope as asked: its summary line, or the envelope in the chosen format."""
    if summary:
        click.echo(summary_line(run))
    else:
        emit(run, fmt, field)


def include_params(include: str) -> dict[str, str] | None:
    return {"include": include} if include else None
