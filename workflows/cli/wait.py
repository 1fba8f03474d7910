"""Following a run until it ends, with progress on stderr so stdout stays the result."""

from __future__ import annotations

import time
from typing import Any

import click

from .client import Client
from .errors import CliError

TERMINAL = ("success", "failed", "canceled")
SUSPENDED = ("sleeping", "waiting")
POLL_SECONDS = 0.3  # between looks; the server holds each look that long while the run moves


def wait_for_run(client: Client, run_id: str, timeout: float) -> dict[str, Any]:
    """The finished run envelope; raises CliError on timeout or Ctrl-C (the run goes on)."""
    deadline = time.monotonic() + timeout
    progress = Progress()
    try:
        while True:
            asked = time.monotonic()
            run = client.get(
                f"/api/runs/{run_id}", params={"include": "steps", "wait": POLL_SECONDS}
            )
            progress.show(run)
            if run["status"] in TERMINAL:
                return run
            if time.monotonic() >= deadline:
                raise CliError(
                    f"run {run_id} is still {run['status']} after {timeout:g}s; {_where(run)}"
                )
            # A busy server, or one on SQLite, answers at once instead of holding the look.
            time.sleep(max(0.0, POLL_SECONDS - (time.monotonic() - asked)))
    except KeyboardInterrupt:
        raise CliError(f"stopped waiting; run {run_id} goes on. {_where({'id': run_id})}") from None


def _where(run: dict[str, Any]) -> str:
    url = f" or open {run['url']}" if run.get("url") else ""
    return f"follow it with `keystroke history get {run['id']} --include steps`{url}"


class Progress:
    """Prints each step once as it finishes, and each change of the run's status."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.status: str | None = None

    def show(self, run: dict[str, Any]) -> None:
        for step in run.get("steps") or []:
            if step["status"] in TERMINAL and step["id"] not in self.seen:
                self.seen.add(step["id"])
                note = f" ({step['status']})" if step["status"] != "success" else ""
                click.echo(f"  {step['id']}{note}", err=True)
        if run["status"] != self.status:
            self.status = run["status"]
            if run["status"] in SUSPENDED:
                click.echo(f"  … {run['status']}{_suspended_at(run)}", err=True)


def _suspended_at(run: dict[str, Any]) -> str:
    # A run waits on a hook or a child run, and sleeps on a timer: the step says which.
    step = next((s for s in run.get("steps") or [] if s["status"] == run["status"]), None)
    return f" at {step['id']} ({step['kind']})" if step else ""


def failure(run: dict[str, Any]) -> CliError:
    """The CliError for a run that ended failed or canceled."""
    if run["status"] == "canceled":
        return CliError(f"run {run['id']} was canceled", details=run.get("error"))
    error = run.get("error") or {}
    message = error.get("message") if isinstance(error, dict) else str(error)
    kind = f"{error.get('type')}: " if isinstance(error, dict) and error.get("type") else ""
    return CliError(
        f"run {run['id']} failed: {kind}{message or 'no error recorded'}", details=error
    )
