"""``keystroke history counts`` and ``keystroke history failures``: the counts per status of the
list's filters (GET /api/runs/counts) and the failed runs grouped by kind of failure
(GET /api/runs/failures)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from .common import SEARCH_HELP, WHERE_HELP, client, output_options, status_option, statuses
from .errors import CliError
from .output import cell, emit, grid, paint

F = Callable[..., Any]


def filter_options(fn: F) -> F:
    """The list's common filters, and ``--filter key=value`` for any other it takes."""
    fn = click.option(
        "--filter",
        "filters",
        multiple=True,
        metavar="KEY=VALUE",
        help="Any filter of GET /api/runs, e.g. trigger=webhook (repeatable).",
    )(fn)
    fn = click.option("--where", "where", multiple=True, help=WHERE_HELP)(fn)
    fn = click.option("--search", help=SEARCH_HELP)(fn)
    fn = click.option("--range", "time_range", type=click.Choice(("1h", "24h", "7d", "30d")))(fn)
    fn = click.option("--project", help="Project slug.")(fn)
    fn = click.option("--slug", help="Workflow or agent slug.")(fn)
    return click.option("--kind", type=click.Choice(("workflow", "agent")))(fn)


def query(
    kind: str | None,
    slug: str | None,
    project: str | None,
    time_range: str | None,
    search: str | None,
    where: tuple[str, ...],
    filters: tuple[str, ...],
) -> list[tuple[str, str]]:
    found = [("kind", kind), ("slug", slug), ("project", project), ("range", time_range)]
    found += [("q", search)] + [("where", clause) for clause in where]  # never split on commas
    params = [(key, value) for key, value in found if value]
    for item in filters:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CliError(f"--filter {item!r}: write it as key=value, e.g. trigger=webhook.")
        params.append((key.strip(), value))
    return params


@click.command("counts")
@filter_options
@status_option
@output_options
def history_counts(
    kind: str | None,
    slug: str | None,
    project: str | None,
    time_range: str | None,
    search: str | None,
    where: tuple[str, ...],
    filters: tuple[str, ...],
    status: tuple[str, ...],
    fmt: str,
    field: str | None,
) -> None:
    """How many runs of each status match the filters: exact up to the cap, estimated past it."""
    params = query(kind, slug, project, time_range, search, where, filters)
    params += [("status", s) for s in statuses(status)]
    counts = client().get("/api/runs/counts", params=params)
    if fmt == "table" and not field:
        rows = [
            [paint("status", name), shown(count)]
            for name, count in counts["counts"].items()
            if count["count"]
        ]
        click.echo(grid(rows, ("status", "runs")))
    else:
        emit(counts, fmt, field)


def shown(count: dict[str, Any]) -> str:
    if count["exact"]:
        return str(count["count"])
    if count["estimate"] is not None:
        return f"~{count['estimate']} (estimated)"
    return f"more than {count['count']}"


@click.command("failures")
@filter_options
@click.option("--page", type=click.IntRange(1), default=1, show_default=True)
@output_options
def history_failures(
    kind: str | None,
    slug: str | None,
    project: str | None,
    time_range: str | None,
    search: str | None,
    where: tuple[str, ...],
    filters: tuple[str, ...],
    page: int,
    fmt: str,
    field: str | None,
) -> None:
    """Failed runs grouped by error type and message (numbers, ids and quoted text left out),
    the most frequent first; list a group's runs with `keystroke history list --fingerprint
    <fingerprint>`."""
    params = query(kind, slug, project, time_range, search, where, filters)
    params.append(("page", str(page)))
    found = client().get("/api/runs/failures", params=params)
    if fmt == "table" and not field:
        columns = ("runs", "type", "pattern", "last_seen", "fingerprint")
        rows = [
            [cell(g[c] if c != "runs" else g["count"]) for c in columns] for g in found["failures"]
        ]
        click.echo(grid(rows, columns))
    else:
        emit(found, fmt, field)
