"""``keystroke history cancel|retry|bulk``: cancel or retry every run a filter matches, in the
background on the server (POST /api/runs/bulk), and follow the job.
"""

from __future__ import annotations

import time
from typing import Any

import click

from .client import Client
from .common import F, client, output_options
from .errors import CliError
from .output import emit

JOB_COLUMNS = ("job_id", "action", "status", "count", "changed", "skipped", "created_by")
ENDED = ("stopped", "finished", "failed")
POLL_SECONDS = 0.5
DONE = {"cancel": "canceled", "retry": "retried"}

# Option name → the GET /api/runs filter it sets; repeatable ones are lists.
FILTER_OPTIONS = {
    "status": "status",
    "workflow": "workflow",
    "agent": "agent",
    "kind": "kind",
    "project": "project",
    "trigger": "trigger",
    "trigger_id": "trigger_id",
    "search": "q",
    "created_after": "created_after",
    "created_before": "created_before",
    "run_ids": "id",
    "where": "where",
}


def filter_options(fn: F) -> F:
    options = [
        click.option("--status", multiple=True, help="Runs with this status (repeatable)."),
        click.option("--workflow", help="Runs of this workflow."),
        click.option("--agent", help="Runs of this agent."),
        click.option("--kind", type=click.Choice(("workflow", "agent"))),
        click.option("--project", help="Project slug."),
        click.option("--trigger", help="Trigger type: api, cli, ui, webhook, schedule, poll…"),
        click.option("--trigger-id", help="A trigger (signup) or one attachment of it."),
        click.option("--search", help="Run id, slug, error or payload text, as History's search."),
        click.option("--where", multiple=True, help="A payload clause (repeatable), as in list."),
        click.option("--created-after", help="ISO 8601 time, e.g. 2026-11-20T09:00:00Z."),
        click.option("--created-before", help="ISO 8601 time."),
        click.option("--id", "run_ids", multiple=True, help="Only these runs (repeatable)."),
    ]
    options.append(
        click.option("--all", "every_run", is_flag=True, help="Every run: no filter at all.")
    )
    for option in reversed(options):
        fn = option(fn)
    return fn


def bulk_options(fn: F) -> F:
    fn = output_options(fn)
    wait_help = "Seconds to wait with --wait."
    fn = click.option(
        "--timeout", type=click.FloatRange(min=0), default=600, show_default=True, help=wait_help
    )(fn)
    fn = click.option("--wait", is_flag=True, help="Show progress until the job ends.")(fn)
    fn = click.option("--dry-run", is_flag=True, help="Only count the runs; change nothing.")(fn)
    fn = click.option(
        "--reason", required=True, help="Why: kept with the audit event, e.g. 'bad deploy 4121'."
    )(fn)
    return filter_options(fn)


def run_filter(options: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for option, key in FILTER_OPTIONS.items():
        value = options.get(option)
        if option == "where":  # a clause is never split: its value may hold a comma
            value = [v.strip() for v in value or () if v.strip()]
        elif isinstance(value, tuple):
            value = [part.strip() for v in value for part in v.split(",") if part.strip()]
        if value:
            found[key] = value
    return found


def start(action: str, options: dict[str, Any]) -> None:
    dry_run, wait = options.pop("dry_run"), options.pop("wait")
    fmt, field, timeout = options.pop("fmt"), options.pop("field"), options.pop("timeout")
    body = {
        "action": action,
        "filter": run_filter(options),
        "reason": options["reason"],
        "dry_run": dry_run,
    }
    if not body["filter"] and not options["every_run"]:
        raise click.UsageError(
            "give a filter (--status, --workflow, --id…), or --all for every run"
        )
    api = client()
    answer = api.post("/api/runs/bulk", body)
    if dry_run or not wait:
        emit(answer, fmt, field)
        return
    click.echo(f"{answer['job_id']}: {action} of {answer['count']} runs started", err=True)
    emit(follow(api, answer["job_id"], timeout), fmt, field)


def follow(api: Client, job_id: str, timeout: float) -> dict[str, Any]:
    """The job once it ended, with its progress on stderr; a failed or stopped job is an error."""
    deadline, shown = time.monotonic() + timeout, ""
    try:
        while True:
            job = api.get(f"/api/runs/bulk/{job_id}")
            line = progress_line(job)
            if line != shown:
                click.echo(line, err=True)
                shown = line
            if job["status"] in ENDED:
                break
            if time.monotonic() >= deadline:
                raise CliError(f"bulk job {job_id} is still {job['status']} after {timeout:g}s")
            time.sleep(POLL_SECONDS)
    except KeyboardInterrupt:
        raise CliError(
            f"stopped waiting; bulk job {job_id} goes on (keystroke history bulk {job_id} --stop)"
        ) from None
    if job["status"] == "failed":
        raise CliError(f"bulk job {job_id} failed: {job['error']}", details=job)
    if job["status"] == "stopped":
        raise CliError(f"bulk job {job_id} was stopped by {job['stopped_by']}", details=job)
    return job


def progress_line(job: dict[str, Any]) -> str:
    done = min(job["count"], job["changed"] + job["skipped"])
    verb = DONE.get(job["action"], job["action"])
    return (
        f"  {job['status']}: {done} of {job['count']} ({job['changed']} {verb}, "
        f"{job['skipped']} skipped)"
    )


@click.command("cancel")
@bulk_options
def bulk_cancel(**options: Any) -> None:
    """Cancel every run the filter matches that has not ended, with its child runs."""
    start("cancel", options)


@click.command("retry")
@bulk_options
def bulk_retry(**options: Any) -> None:
    """Retry every failed or canceled run the filter matches, each from its first unfinished
    step.
    """
    start("retry", options)


@click.command("bulk")
@click.argument("job_id", required=False)
@click.option("--stop", is_flag=True, help="Stop the job after the batch under way.")
@click.option("--wait", is_flag=True, help="Show progress until the job ends.")
@output_options
def bulk_job(job_id: str | None, stop: bool, wait: bool, fmt: str, field: str | None) -> None:
    """A bulk job and its progress; without JOB_ID, the latest jobs."""
    api = client()
    if job_id is None:
        if stop or wait:
            raise click.UsageError("--stop and --wait need a JOB_ID")
        emit(api.get("/api/runs/bulk")["results"], fmt, field, JOB_COLUMNS)
    elif stop:
        emit(api.post(f"/api/runs/bulk/{job_id}/stop"), fmt, field)
    elif wait:
        emit(follow(api, job_id, timeout=3600), fmt, field)
    else:
        emit(api.get(f"/api/runs/bulk/{job_id}"), fmt, field)
