"""A client generated from /api/schema/ by a standard generator (openapi-python-client), as a
user of the API would make one, drives the main calls against a live server. Every answer parses
into the generated models and is checked against the schema it was generated from.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest
import schemathesis
from django.utils import timezone

from history.models import ApiKey, Organization, Run, Step, parse_run_id
from history.models.accounts import Role
from history.models.telemetry import LogRecord, Span, UsageItem

from ..factories import add_steps, make_run, waiting_run

BIN = Path(sys.executable).parent
PACKAGE = "keystroke_api_client"


@pytest.fixture
def served(live_server: Any, transactional_db: None) -> dict[str, Any]:
    _, key = ApiKey.issue(Organization.objects.default(), "generator", Role.OPERATOR)
    answer = httpx.get(
        f"{live_server.url}/api/schema/",
        headers={"Authorization": f"Bearer {key}", "Accept": "application/vnd.oai.openapi+json"},
    )
    assert answer.status_code == 200, answer.text
    return {"schema": answer.json(), "key": key, "url": live_server.url}


@pytest.fixture
def generated(served: dict[str, Any], tmp_path: Path) -> Iterator[ModuleType]:
    (tmp_path / "schema.json").write_text(json.dumps(served["schema"]))
    done = subprocess.run(
        [
            str(BIN / "openapi-python-client"),
            "generate",
            "--path",
            "schema.json",
            "--meta",
            "none",
            "--output-path",
            PACKAGE,
        ],
        cwd=tmp_path,
        env=os.environ | {"PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"},  # its ruff hook
        capture_output=True,
        text=True,
        timeout=300,
    )
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    assert "warning" not in said.lower() and "error" not in said.lower(), said
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


class Checked:
    """The generated client, whose every answer is validated against the schema."""

    def __init__(self, package: ModuleType, served: dict[str, Any]) -> None:
        self.schema = schemathesis.openapi.from_dict(served["schema"])
        self.answers: list[httpx.Response] = []
        self.client = package.AuthenticatedClient(
            base_url=served["url"],
            token=served["key"],
            raise_on_unexpected_status=True,
            httpx_args={"event_hooks": {"response": [self._keep]}},
        )

    def _keep(self, response: httpx.Response) -> None:
        response.read()
        self.answers.append(response)

    def call(self, module: Any, path: str, method: str, **kwargs: Any) -> Any:
        parsed = module.sync(client=self.client, **kwargs)
        self.schema[path][method].validate_response(self.answers[-1])
        return parsed


def _telemetry(run: Run) -> None:
    """A span, a log line and a model call of ``run``, as the engine records them."""
    started = timezone.now()
    Span.objects.create(
        run=run,
        trace_id=run.uid.hex,
        span_id="a" * 16,
        name="run greeting",
        kind="internal",
        status="ok",
        started_at=started,
        ended_at=started,
        attributes={"keystroke.run_id": run.public_id},
    )
    LogRecord.objects.create(
        run=run, span_id="a" * 16, created_at=started, level="INFO", logger="app", message="charged"
    )
    UsageItem.objects.create(
        run=run, kind="llm", provider="openai", model="gpt-4o", tokens_in=120, tokens_out=30
    )


def _module(package: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.api.{name}")


@pytest.fixture
def api(generated: ModuleType, served: dict[str, Any]) -> Iterator[Checked]:
    checked = Checked(generated, served)
    with checked.client:  # closed after: no kept-alive connection holds the test database
        yield checked


def test_the_main_calls_parse_into_typed_models(generated: ModuleType, api: Checked) -> None:
    models = importlib.import_module(f"{PACKAGE}.models")
    org = Organization.objects.default()
    failed = make_run(
        org,
        status="failed",
        input={"name": "Ada"},
        error={"type": "Boom", "message": "no", "step_id": "step:b#0", "traceback": "Tb"},
        models_used=["openai:gpt-4o"],
    )
    add_steps(failed, ("a", "success", {"n": 1}), ("b", "failed", "no"))
    _telemetry(failed)
    agent = make_run(
        org,
        "researcher",
        kind="agent",
        status="success",
        conversation=[
            {"role": "user", "content": "Research Ada"},
            {
                "role": "assistant",
                "content": "",
                "model": "test",
                "tool_calls": [{"id": "c1", "name": "search", "arguments": {"q": "Ada"}}],
            },
            {"role": "tool", "tool_call_id": "c1", "name": "search", "content": ["a", "b"]},
            {"role": "retry", "tool_call_id": None, "name": None, "content": "try again"},
            {"role": "assistant", "content": "Done.", "model": None},
        ],
    )
    waiting = waiting_run(org, "t" * 40)

    page = api.call(_module(generated, "runs.list_runs"), "/api/runs", "GET", include="steps")
    assert isinstance(page, models.PaginatedListedRunList)
    listed = {run.id: run for run in page.results}
    assert isinstance(listed[failed.public_id], models.ListedRun)
    assert listed[failed.public_id].error.type_ == "Boom"
    assert [s.id for s in listed[failed.public_id].steps] == ["step:a#0", "step:b#0"]

    run = api.call(
        _module(generated, "runs.get_run"),
        "/api/runs/{id}",
        "GET",
        id=failed.public_id,
        include="steps,trace,usage,trigger",
    )
    assert isinstance(run, models.Run) and run.status == models.RunStatusEnum.FAILED
    assert isinstance(run.trigger, models.RunTrigger) and run.trigger.type_ == "api"
    assert isinstance(run.error, models.RunError) and run.error.traceback == "Tb"
    assert run.models == ["openai:gpt-4o"]
    assert all(isinstance(step, models.Step) for step in run.steps)
    assert run.steps[1].status == models.StepStatusEnum.FAILED
    assert isinstance(run.trace, models.TracePart)
    assert [span.name for span in run.trace.spans] == ["run greeting"]
    assert run.trace.logs[0].message == "charged"
    assert isinstance(run.usage[0], models.UsageItem) and run.usage[0].tokens_in == 120

    talked = api.call(
        _module(generated, "runs.get_run"),
        "/api/runs/{id}",
        "GET",
        id=agent.public_id,
        include="messages",
    )
    assert [m.role for m in talked.messages] == [
        models.MessageRoleEnum(role) for role in ("user", "assistant", "tool", "retry", "assistant")
    ]
    assert talked.messages[1].tool_calls[0].name == "search"

    trace = api.call(
        _module(generated, "runs.get_run_trace"), "/api/runs/{id}/trace", "GET", id=failed.public_id
    )
    assert isinstance(trace, models.Trace) and trace.run.id == failed.public_id

    start_body = models.StartWorkflowBody.from_dict({"name": "Grace"})
    started = api.call(
        _module(generated, "workflows.start_workflow"),
        "/api/workflows/{slug}",
        "POST",
        slug="greeting",
        body=start_body,
    )
    assert isinstance(started, models.RunStarted)
    assert Run.objects.get(uid=parse_run_id(started.run_id)).input == {"name": "Grace"}

    canceled = api.call(
        _module(generated, "runs.cancel_run"), "/api/runs/{id}/cancel", "POST", id=started.run_id
    )
    assert isinstance(canceled, models.Run) and canceled.status == models.RunStatusEnum.CANCELED

    retried = api.call(
        _module(generated, "runs.retry_run"), "/api/runs/{id}/retry", "POST", id=failed.public_id
    )
    assert isinstance(retried, models.Run) and retried.status == models.RunStatusEnum.QUEUED

    rerun = api.call(
        _module(generated, "runs.rerun_run"), "/api/runs/{id}/rerun", "POST", id=started.run_id
    )
    assert isinstance(rerun, models.Run) and rerun.rerun_of_id == started.run_id

    hooks = api.call(_module(generated, "hooks.list_open_hooks"), "/api/hooks", "GET")
    assert isinstance(hooks, models.OpenHooks)
    assert [hook.run_id for hook in hooks.results] == [waiting.public_id]
    resumed = api.call(
        _module(generated, "hooks.resume_run_hook"),
        "/api/runs/{id}/hooks/{name}",
        "POST",
        id=waiting.public_id,
        name="approval",
        body=models.ResumeRunHookBody.from_dict({"approved": True}),
    )
    assert isinstance(resumed, models.HookResumed) and resumed.ok is True
    assert Step.objects.get(run=waiting).status == "success"

    triggers = api.call(_module(generated, "triggers.list_triggers"), "/api/triggers", "GET")
    assert isinstance(triggers, models.TriggerPage)
    rows = {row.slug: row for row in triggers.results}
    assert isinstance(rows["orders:three-steps"], models.Trigger)
    assert rows["orders:three-steps"].secret is None  # an operator's key
    trigger = api.call(
        _module(generated, "triggers.get_trigger"), "/api/triggers/{slug}", "GET", slug="orders"
    )
    assert isinstance(trigger, models.TriggerDetail)
    assert {a.slug for a in trigger.attachments} == {"orders:three-steps", "orders:approval"}
    assert trigger.definition.verify == "keystroke"

    workflows = api.call(_module(generated, "workflows.list_workflows"), "/api/workflows", "GET")
    assert isinstance(workflows, models.WorkflowPage)
    assert "greeting" in {w.slug for w in workflows.results}
    agents = api.call(_module(generated, "agents.list_agents"), "/api/agents", "GET")
    assert all(isinstance(agent, models.Agent) for agent in agents.results)
