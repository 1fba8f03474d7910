"""``keystroke mcp`` as a subprocess, driven by the MCP SDK's own stdio client against a live
server: the tools an agent sees, what they read, and what each key's role lets them change."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TextIO

import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from mcp.client.session import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.types import CallToolResult, TextContent, Tool

from history.models import Organization, Run, Step
from history.models.accounts import Role

from ..factories import add_steps, make_run, waiting_run
from .conftest import KEYSTROKE, Cli, issue_key

pytestmark = pytest.mark.django_db(transaction=True)

TOOLS = {
    "list_runs",
    "get_run",
    "get_run_steps",
    "get_run_trace",
    "list_open_hooks",
    "cancel_run",
    "retry_run",
    "resume_hook",
}
WRITE_TOOLS = {"cancel_run", "retry_run", "resume_hook"}


class Agent:
    """One MCP session with ``keystroke mcp``, called from the test's (synchronous) thread, so the
    test reads the database between calls. A line on stdout that is not the protocol (printed
    before the SDK points the process's stdout at stderr to serve) is kept in ``faults``."""

    def __init__(self, portal: BlockingPortal, session: ClientSession, faults: list[Any]) -> None:
        self.portal = portal
        self.session = session
        self.faults = faults

    def tools(self) -> dict[str, Tool]:
        listed = self.portal.call(self.session.list_tools)
        return {tool.name: tool for tool in listed.tools}

    def call(self, tool: str, /, **arguments: Any) -> CallToolResult:
        return self.portal.call(self.session.call_tool, tool, arguments)

    def ok(self, tool: str, /, **arguments: Any) -> Any:
        result = self.call(tool, **arguments)
        assert not result.is_error, f"{tool} failed: {text(result)}"
        return result.structured_content

    def refused(self, tool: str, /, **arguments: Any) -> str:
        result = self.call(tool, **arguments)
        assert result.is_error, f"{tool} did not fail: {result.structured_content}"
        return text(result)


def text(result: CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, TextContent))


@asynccontextmanager
async def session(
    env: dict[str, str], errlog: TextIO, faults: list[Any]
) -> AsyncIterator[ClientSession]:
    async def on_message(message: Any) -> None:
        if isinstance(message, Exception):  # a line on stdout that is no JSON-RPC message
            faults.append(message)

    params = StdioServerParameters(command=KEYSTROKE, args=["mcp"], env=env)
    async with (
        stdio_client(params, errlog=errlog) as (read, write),
        ClientSession(read, write, message_handler=on_message) as client,
    ):
        await client.initialize()
        yield client


@contextmanager
def connect(cli: Cli, tmp_path: Path, key: str | None = None, **env: str) -> Iterator[Agent]:
    """``keystroke mcp`` with the cli fixture's environment (its admin key unless ``key``)."""
    merged = cli.env | env | ({"KEYSTROKE_API_KEY": key} if key else {})
    faults: list[Any] = []
    log = tmp_path / "mcp-stderr.log"
    with start_blocking_portal() as portal, log.open("w") as errlog:
        with portal.wrap_async_context_manager(session(merged, errlog, faults)) as client:
            agent = Agent(portal, client, faults)
            yield agent
    assert faults == [], "stdout carries the protocol alone"
    assert "Traceback" not in log.read_text()


def test_it_lists_its_tools_with_their_parameters(cli: Cli, tmp_path: Path) -> None:
    with connect(cli, tmp_path) as agent:
        tools = agent.tools()
    assert set(tools) == TOOLS
    assert all(tool.description for tool in tools.values())
    filters = tools["list_runs"].input_schema["properties"]
    assert set(filters) == {"status", "workflow", "trigger", "kind", "search", "where", "limit"}
    assert "failed" in filters["status"]["anyOf"][0]["items"]["enum"]
    assert (filters["limit"]["minimum"], filters["limit"]["maximum"]) == (1, 500)
    assert tools["resume_hook"].input_schema["required"] == ["run_id", "name"]
    run_id = tools["cancel_run"].input_schema["properties"]["run_id"]
    assert (
        run_id["pattern"] == "^run_[0-9a-f]{32}$" and "run_<32 hex digits>" in run_id["description"]
    )
    assert tools["get_run_trace"].input_schema["properties"]["format"]["enum"] == [
        "json",
        "markdown",
    ]
    for name, tool in tools.items():
        assert tool.annotations is not None
        assert tool.annotations.read_only_hint is (name not in WRITE_TOOLS), name
        assert tool.output_schema is not None and tool.output_schema["type"] == "object"
    completed = cli.ok(
        COMP_WORDS="keystroke mc", COMP_CWORD="1", _KEYSTROKE_COMPLETE="bash_complete"
    )
    assert completed.stdout.splitlines() == ["plain,mcp"]


def test_it_lists_and_reads_runs_their_steps_and_traces(
    cli: Cli, tmp_path: Path, org: Organization
) -> None:
    worked = make_run(
        org,
        status="success",
        input={"email": "ada@acme.io"},
        output={"ok": True},
        trigger_type="schedule",
    )
    add_steps(worked, ("fetch", "success", {"n": 1}), ("store", "success", {"n": 2}))
    failed = make_run(org, status="failed", error={"type": "Boom", "message": "disk full"})
    waiting = waiting_run(org, "b" * 40)

    with connect(cli, tmp_path) as agent:

        def listed(**filters: Any) -> list[str]:
            return [run["id"] for run in agent.ok("list_runs", **filters)["runs"]]

        assert listed() == [waiting.public_id, failed.public_id, worked.public_id]
        assert listed(status=["failed"]) == [failed.public_id]
        assert listed(workflow="approval", kind="workflow") == [waiting.public_id]
        assert listed(search="disk full") == [failed.public_id]
        assert listed(where=["input.email=ada@acme.io"]) == [worked.public_id]
        assert listed(limit=2) == [waiting.public_id, failed.public_id]
        assert listed(trigger="schedule") == [worked.public_id]
        assert "input.email" in agent.refused("list_runs", where=["input.email"])

        run = agent.ok("get_run", run_id=worked.public_id)
        assert (run["status"], run["output"]) == ("success", {"ok": True})
        assert [step["id"] for step in run["steps"]] == ["step:fetch#0", "step:store#0"]
        assert "trace" not in run
        bare = agent.ok("get_run", run_id=worked.public_id, include_steps=False, include_trace=True)
        assert "steps" not in bare and set(bare["trace"]) == {"spans", "logs"}

        steps = agent.ok("get_run_steps", run_id=worked.public_id)
        assert (steps["run_id"], steps["status"]) == (worked.public_id, "success")
        assert [step["output"] for step in steps["steps"]] == [{"n": 1}, {"n": 2}]

        trace = agent.ok("get_run_trace", run_id=waiting.public_id)
        assert (trace["version"], trace["run"]["id"]) == (1, waiting.public_id)
        assert [wait["kind"] for wait in trace["waits"]] == ["hook"]
        markdown = agent.ok("get_run_trace", run_id=waiting.public_id, format="markdown")
        assert markdown["run_id"] == waiting.public_id
        assert waiting.public_id in markdown["markdown"] and markdown["markdown"].startswith("#")


def test_it_lists_the_open_hooks_with_their_schemas(
    cli: Cli, tmp_path: Path, org: Organization
) -> None:
    waiting = waiting_run(org, "c" * 40)
    waiting_run(org, "d" * 40, status="success")  # answered: not open
    with connect(cli, tmp_path, issue_key(Role.VIEWER, "viewer")) as agent:
        [hook] = agent.ok("list_open_hooks")["hooks"]
    assert (hook["run_id"], hook["workflow"], hook["hook"]) == (
        waiting.public_id,
        "approval",
        "approval",
    )
    assert hook["schema"]["type"] == "object"


def test_an_operator_cancels_retries_and_answers_hooks(
    cli: Cli, tmp_path: Path, org: Organization
) -> None:
    queued = make_run(org)
    failed = make_run(org, status="failed", error={"type": "Boom", "message": "x"})
    waiting = waiting_run(org, "e" * 40)

    with connect(cli, tmp_path, issue_key(Role.OPERATOR, "operator")) as agent:
        canceled = agent.ok("cancel_run", run_id=queued.public_id)
        assert (canceled["id"], canceled["status"]) == (queued.public_id, "canceled")
        assert Run.objects.get(pk=queued.pk).status == "canceled"
        again = agent.refused("cancel_run", run_id=queued.public_id)
        assert f"Run {queued.public_id} is canceled" in again

        retried = agent.ok("retry_run", run_id=failed.public_id)
        assert retried["id"] == failed.public_id and retried["status"] == "queued"
        assert Run.objects.get(pk=failed.pk).status == "queued"

        # The name is one path segment: "?" starts no query that would leave "approval".
        odd = agent.refused(
            "resume_hook", run_id=waiting.public_id, name="approval?x=1", payload={"approved": True}
        )
        assert f"Run {waiting.public_id} has no hook named 'approval?x=1'." in odd
        invalid = agent.refused("resume_hook", run_id=waiting.public_id, name="approval")
        assert "Invalid hook payload" in invalid
        assert Step.objects.get(run=waiting).status == "waiting"
        resumed = agent.ok(
            "resume_hook", run_id=waiting.public_id, name="approval", payload={"approved": True}
        )
        assert resumed == {"ok": True, "run_id": waiting.public_id, "step_id": "step:approval#0"}
        step = Step.objects.get(run=waiting)
        assert (step.status, step.output["approved"]) == ("success", True)
        assert agent.ok("list_open_hooks")["hooks"] == []


def test_a_viewer_key_is_refused_every_change_and_nothing_changes(
    cli: Cli, tmp_path: Path, org: Organization
) -> None:
    queued = make_run(org)
    failed = make_run(org, status="failed", error={"type": "Boom", "message": "x"})
    waiting = waiting_run(org, "f" * 40)
    refusal = "This needs the operator role; you are a viewer."

    with connect(cli, tmp_path, issue_key(Role.VIEWER, "viewer")) as agent:
        assert refusal in agent.refused("cancel_run", run_id=queued.public_id)
        assert refusal in agent.refused("retry_run", run_id=failed.public_id)
        assert refusal in agent.refused(
            "resume_hook", run_id=waiting.public_id, name="approval", payload={"approved": True}
        )
        # The server is still serving, and the key still reads.
        assert len(agent.ok("list_runs")["runs"]) == 3

    assert [Run.objects.get(pk=run.pk).status for run in (queued, failed, waiting)] == [
        "queued",
        "failed",
        "waiting",
    ]
    assert Step.objects.get(run=waiting).status == "waiting"


def test_unknown_runs_bad_ids_and_a_server_away_are_tool_errors(cli: Cli, tmp_path: Path) -> None:
    unknown = "run_" + "0" * 32
    with connect(cli, tmp_path) as agent:
        for tool in ("get_run", "get_run_steps", "get_run_trace", "cancel_run"):
            assert f"No run {unknown} in your organization." in agent.refused(tool, run_id=unknown)
        for malformed in ("nope", "../hooks", f"{unknown}/cancel"):
            refused = agent.refused("cancel_run", run_id=malformed)
            assert "run_id\n  String should match pattern '^run_[0-9a-f]{32}$'" in refused
        assert "limit" in agent.refused("list_runs", limit=0)

    with connect(cli, tmp_path, KEYSTROKE_URL="http://127.0.0.1:9") as agent:
        away = agent.refused("list_runs")
        assert "cannot reach http://127.0.0.1:9: is the server running?" in away


def test_it_needs_a_target_before_it_serves(cli: Cli) -> None:
    failed = cli.fails("mcp", KEYSTROKE_URL=None, KEYSTROKE_API_KEY=None)
    assert failed.stderr.startswith("error: no server is configured: run `keystroke dev`")
