"""``keystroke mcp``: the Model Context Protocol on stdin/stdout, for coding agents.

Each tool is a call of the REST API through the CLI's client, with the active target's URL and
key, so an agent sees and may change what that key's role allows, no more. stdout carries the
protocol alone: a failure reaches the agent as a tool error with the API's message, the SDK's
logs go to stderr, and while it serves the SDK points the process's own stdout at stderr too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib.metadata import version
from typing import Annotated, Any, Literal, ParamSpec, TypeVar
from urllib.parse import quote

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import ToolAnnotations
from pydantic import Field

from .client import Client
from .common import list_runs as read_runs
from .errors import CliError

P = ParamSpec("P")
R = TypeVar("R")

# The API's own values (history.models.Run), spelled out: the CLI imports nothing from Django.
# ``retrying`` is a sleeping run whose wake-up is a step's retry.
Status = Literal[
    "queued", "running", "sleeping", "waiting", "success", "failed", "canceled", "retrying"
]
# Checked before any request: the agent reads the form from the schema, and a mistaken id is
# never sent as part of a path.
RunId = Annotated[
    str,
    Field(
        pattern=r"^run_[0-9a-f]{32}$",
        description="A run id, run_<32 hex digits>, as list_runs shows it.",
    ),
]

READS = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITES = ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False)
CANCELS = ToolAnnotations(read_only_hint=False, destructive_hint=True, open_world_hint=False)


def api_tool(fn: Callable[P, R]) -> Callable[P, R]:
    """The API's refusal (403 for a viewer's write, 404, 400) or its absence becomes a tool error
    carrying the message, for the agent to read; the server goes on serving."""

    @functools.wraps(fn)  # the SDK reads the parameters through __wrapped__
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except CliError as exc:
            raise ToolError(exc.message) from None

    return call


def run_path(run_id: str, *rest: str) -> str:
    """/api/runs/<id>/…, each part quoted: a ``?`` or ``#`` in a hook's name is no query."""
    return "/".join(("/api/runs", *(quote(part, safe="") for part in (run_id, *rest))))


def build_server(api: Client) -> MCPServer:
    server = MCPServer(
        "keystroke",
        version=version("keystroke"),
        instructions=(
            "Keystroke runs durable workflows; these tools read and act on the runs of "
            f"{api.base_url}. Any key reads; cancel_run, retry_run and resume_hook need an "
            "operator key, and a viewer's call of them is refused."
        ),
        log_level="WARNING",
    )

    @server.tool(annotations=READS)
    @api_tool
    def list_runs(
        status: Annotated[
            list[Status] | None, Field(description="Only runs with one of these statuses.")
        ] = None,
        workflow: Annotated[
            str | None, Field(description="Only runs of this workflow slug.")
        ] = None,
        trigger: Annotated[
            str | None,
            Field(
                description="Only runs started this way: api, cli, ui, webhook, schedule, poll, "
                "workflow (a child run), workflow_tool, agent, retry or celery (a recorded "
                "Celery task)."
            ),
        ] = None,
        kind: Annotated[
            Literal["workflow", "agent", "task"] | None,
            Field(description="Workflow runs, agent runs, or recorded Celery tasks."),
        ] = None,
        search: Annotated[
            str | None,
            Field(description="A run id, or text in the slug, error, input or output."),
        ] = None,
        where: Annotated[
            list[str] | None,
            Field(
                description="Clauses on payloads, ANDed: PATH OP VALUE, e.g. "
                "input.email=ada@acme.io, output.score>=80, error.type~Timeout; OP is one of "
                "= != > >= < <= ~ (contains)."
            ),
        ] = None,
        limit: Annotated[int, Field(ge=1, le=500, description="At most this many runs.")] = 20,
    ) -> dict[str, Any]:
        """Recent runs, newest first. Payloads are previews (the first 1,024 characters);
        get_run has them whole."""
        params = {
            "status": status,
            "workflow": workflow,
            "trigger": trigger,
            "kind": kind,
            "q": search,
            "where": where,
        }
        return {"runs": read_runs(api, {k: v for k, v in params.items() if v}, limit)}

    @server.tool(annotations=READS)
    @api_tool
    def get_run(
        run_id: RunId,
        include_steps: Annotated[bool, Field(description="Add the run's steps.")] = True,
        include_trace: Annotated[
            bool, Field(description="Add the run's spans and logs (get_run_trace adds waits).")
        ] = False,
    ) -> dict[str, Any]:
        """One run with its input, output or error whole, and by default its steps."""
        parts = (("steps", include_steps), ("trace", include_trace))
        include = [part for part, wanted in parts if wanted]
        result: dict[str, Any] = api.get(
            run_path(run_id), params={"include": ",".join(include)} if include else None
        )
        return result

    @server.tool(annotations=READS)
    @api_tool
    def get_run_steps(run_id: RunId) -> dict[str, Any]:
        """A run's steps in order, each with its status, input, output or error, attempts and
        times."""
        run = api.get(run_path(run_id), params={"include": "steps"})
        return {"run_id": run["id"], "status": run["status"], "steps": run["steps"]}

    @server.tool(annotations=READS)
    @api_tool
    def get_run_trace(
        run_id: RunId,
        format: Annotated[
            Literal["json", "markdown"],
            Field(description="json: spans, waits and logs; markdown: a readable timeline."),
        ] = "json",
    ) -> dict[str, Any]:
        """A run's trace across all its passes: spans, waits (backoffs, sleeps, hooks, child
        runs) and logs."""
        if format == "markdown":
            text = api.get_text(run_path(run_id, "trace"), "text/markdown", {"format": "md"})
            return {"run_id": run_id, "markdown": text}
        trace: dict[str, Any] = api.get(run_path(run_id, "trace"))
        return trace

    @server.tool(annotations=READS)
    @api_tool
    def list_open_hooks() -> dict[str, Any]:
        """Hooks waiting for an answer, oldest first: each run, hook name, since when, when it
        times out, and the JSON schema its payload must match (answer with resume_hook)."""
        return {"hooks": api.get("/api/hooks", params={"status": "open"})["results"]}

    @server.tool(annotations=CANCELS)
    @api_tool
    def cancel_run(run_id: RunId) -> dict[str, Any]:
        """Cancel a run that has not ended (needs an operator key); a recorded Celery task only
        while it is queued. Answers the run."""
        result: dict[str, Any] = api.post(run_path(run_id, "cancel"))
        return result

    @server.tool(annotations=WRITES)
    @api_tool
    def retry_run(
        run_id: RunId,
        from_step: Annotated[
            str | None,
            Field(
                description="Start a new run that copies the steps before this one (e.g. "
                "step:charge#0) and runs it and the later steps again."
            ),
        ] = None,
        input: Annotated[
            dict[str, Any] | None,
            Field(description="New input for a new run, validated by the workflow."),
        ] = None,
    ) -> dict[str, Any]:
        """Retry a failed or canceled run from its first unfinished step, in place; with
        from_step or input, start a new run instead (needs an operator key). Answers the run."""
        body = {
            key: value
            for key, value in (("from_step", from_step), ("input", input))
            if value is not None
        }
        result: dict[str, Any] = api.post(run_path(run_id, "retry"), body)
        return result

    @server.tool(annotations=WRITES)
    @api_tool
    def resume_hook(
        run_id: RunId,
        name: Annotated[str, Field(description="The hook's name, as list_open_hooks shows it.")],
        payload: Annotated[
            Any, Field(description="The answer, matching the hook's schema from list_open_hooks.")
        ] = None,
    ) -> dict[str, Any]:
        """Answer a run's open hook, so the run goes on (needs an operator key)."""
        result: dict[str, Any] = api.post(
            run_path(run_id, "hooks", name), {} if payload is None else payload
        )
        return result

    return server


def serve_stdio(api: Client) -> None:
    build_server(api).run("stdio")
