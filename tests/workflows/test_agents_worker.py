"""Agent runs end to end: API, real worker, loopback OpenAI-compatible server, PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from genai_prices import Usage, calc_price
from rest_framework.test import APIClient

from history.models import Run, parse_run_id
from history.workspace_files import StorageBlobs

from ..conftest import Stack
from ..llm_server import LoopbackOpenAI, loopback_openai, text_reply, tool_reply
from ..support import wait_for
from .test_worker import lines, status_becomes

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "sk-test-worker-0123456789abcdefghij"


@pytest.fixture
def openai() -> Iterator[LoopbackOpenAI]:
    with loopback_openai() as server:
        yield server


def online_worker(stack: Stack, server: LoopbackOpenAI) -> None:
    stack.worker(KEYSTROKE_OFFLINE_MODELS="0", OPENAI_BASE_URL=server.url, OPENAI_API_KEY=SECRET)


def prompt(api: APIClient, slug: str, message: str) -> Run:
    response = api.post(f"/api/agents/{slug}/prompt", {"message": message}, format="json")
    assert response.status_code == 202, response.content
    return Run.objects.get(uid=parse_run_id(response.json()["run_id"]))


def test_an_agent_run_records_its_conversation_usage_cost_and_trace(
    stack: Stack, api: APIClient, openai: LoopbackOpenAI, tmp_path: Path
) -> None:
    marker = tmp_path / "effects"
    openai.answer(
        tool_reply("effect", {"marker": str(marker), "label": "looked-up"}, 1000, 200),
        tool_reply("final_result", {"score": 70, "reason": "fits"}, 1500, 100),
    )
    online_worker(stack, openai)
    run = status_becomes(prompt(api, "scripted-researcher", "Research ada@example.com"), "success")

    assert (run.kind, run.trigger_type, run.output["output"]) == (
        "agent",
        "api",
        {"score": 70, "reason": "fits"},
    )
    roles = [m["role"] for m in run.conversation]
    assert roles[:4] == ["system", "user", "assistant", "tool"] and run.message_count == len(roles)
    assert run.conversation[2]["tool_calls"][0]["arguments"] == {
        "marker": str(marker),
        "label": "looked-up",
    }
    assert run.conversation[3]["content"] == {"label": "looked-up"}

    steps = list(run.steps.values_list("step_id", "kind", "parent_position", "cost"))
    prices = [
        calc_price(
            Usage(input_tokens=i, output_tokens=o), "gpt-4o-mini", provider_id="openai"
        ).total_price
        for i, o in ((1000, 200), (1500, 100))
    ]
    assert steps == [
        ("step:scripted-researcher#0", "agent", None, Decimal(0)),
        ("step:model#0", "model", 0, prices[0].quantize(Decimal("0.000001"))),
        ("step:effect#0", "action", 0, Decimal(0)),
        ("step:model#1", "model", 0, prices[1].quantize(Decimal("0.000001"))),
    ]
    models = run.usage_items.filter(kind="model").order_by("id")
    assert [(u.provider, u.model, u.tokens_in, u.tokens_out) for u in models] == [
        ("openai", "gpt-4o-mini", 1000, 200),
        ("openai", "gpt-4o-mini", 1500, 100),
    ]
    assert run.usage_items.filter(kind="duration").count() == 1
    assert run.total_cost == sum(u.cost for u in models) > 0
    assert (run.models_used, run.services_used) == (["openai:gpt-4o-mini"], ["openai"])

    spans = {s.name: s for s in run.spans.all()}
    agent_span, model_span = spans["step step:scripted-researcher#0"], spans["step step:model#0"]
    assert model_span.parent_span_id == agent_span.span_id
    tool_span = spans["step step:effect#0"]
    assert tool_span.parent_span_id == agent_span.span_id
    assert tool_span.attributes["gen_ai.operation.name"] == "execute_tool"
    assert tool_span.attributes["gen_ai.tool.name"] == "effect"
    assert tool_span.attributes["gen_ai.tool.call.id"] == "call_effect"
    assert model_span.attributes["gen_ai.operation.name"] == "chat"
    assert model_span.attributes["gen_ai.provider.name"] == "openai"
    assert model_span.attributes["gen_ai.usage.input_tokens"] == 1000
    assert model_span.attributes["gen_ai.response.model"] == "gpt-4o-mini"
    stored = json.dumps([s.attributes for s in run.spans.all()]) + " ".join(
        run.log_records.values_list("message", flat=True)
    )
    assert SECRET not in stored


def test_a_crash_after_the_first_model_call_does_not_call_it_again(
    stack: Stack, api: APIClient, openai: LoopbackOpenAI, tmp_path: Path
) -> None:
    marker = tmp_path / "effects"
    openai.answer(
        tool_reply("effect", {"marker": str(marker), "label": "slow", "seconds": 4}),
        tool_reply("final_result", {"score": 10, "reason": "small"}),
    )
    first = stack.worker(
        KEYSTROKE_OFFLINE_MODELS="0", OPENAI_BASE_URL=openai.url, OPENAI_API_KEY=SECRET
    )
    stack.beat()
    run = prompt(api, "scripted-researcher", "Research")
    wait_for(lambda: "slow:start" in lines(marker), 30, what="the tool to start")
    first.kill()
    online_worker(stack, openai)

    status_becomes(run, "success", timeout=60)
    assert run.output["output"] == {"score": 10, "reason": "small"}
    assert len(openai.requests) == 2, (
        "the first model call was answered from the log after the crash"
    )
    assert lines(marker).count("slow") == 1


def test_a_workflow_tool_starts_a_child_run_offline(stack: Stack, api: APIClient) -> None:
    stack.worker()
    run = status_becomes(prompt(api, "lead-researcher", "Research ada@example.com"), "success")
    child = Run.objects.get(parent=run)
    assert (child.slug, child.trigger_type, child.trigger_label) == (
        "greeting",
        "workflow_tool",
        "Workflow tool · lead-researcher",
    )
    assert run.models_used == ["test"] and run.services_used == []
    assert set(run.output["output"]) == {"company", "score", "reason"}


def test_bad_prompts_are_refused_and_create_nothing(api: APIClient) -> None:
    response = api.post("/api/agents/lead-researcher/prompt", {"message": ""}, format="json")
    assert (
        response.status_code == 400 and "message" in response.json()["error"]["details"]["fields"]
    )
    assert api.post("/api/agents/nope/prompt", {"message": "hi"}, format="json").status_code == 404
    assert (
        api.post("/api/agents/greeting/prompt", {"message": "hi"}, format="json").status_code == 404
    )
    assert not Run.objects.exists()
    listed = api.get("/api/agents").json()["results"]
    assert {a["slug"] for a in listed} >= {"lead-researcher", "scripted-researcher"}
    assert "lead-researcher" not in {w["slug"] for w in api.get("/api/workflows").json()["results"]}


def test_an_agent_fixes_its_script_in_its_workspace_on_a_worker(
    stack: Stack, api: APIClient, openai: LoopbackOpenAI
) -> None:
    """The model (the loopback server) writes a script with a syntax error, runs it, reads the
    error, tries to write outside the workspace (refused, and told why), fixes the script and
    runs it: every step in the run's history, the files in the Workspace storage."""
    openai.answer(
        tool_reply("write_file", {"path": "sum.py", "content": "print(sum(range(10))\n"}, 100, 10),
        tool_reply("run_command", {"command": "python3 sum.py"}, 100, 10),
        tool_reply("write_file", {"path": "../escape.py", "content": "x"}, 100, 10),
        tool_reply("write_file", {"path": "sum.py", "content": "print(sum(range(10)))\n"}, 100, 10),
        tool_reply("run_command", {"command": "python3 sum.py"}, 100, 10),
        text_reply("It prints 45; the script is sum.py.", 100, 10),
    )
    online_worker(stack, openai)
    run = status_becomes(prompt(api, "script-writer", "Add up 0 to 9 with a script."), "success")
    assert run.has_workspace and run.output["text"] == "It prints 45; the script is sum.py."
    steps = list(run.steps.order_by("position"))
    commands = [s.output for s in steps if s.step_id.startswith("step:run-command#")]
    assert commands[0]["exit_code"] == 1 and "SyntaxError" in commands[0]["stderr"]
    assert (commands[1]["exit_code"], commands[1]["stdout"]) == (0, "45\n")
    refused = next(s for s in steps if s.status == "failed")
    assert refused.step_id == "step:write-file#1"
    assert "uses '..'" in refused.error["attempts"][0]["message"]
    # The model was told why, and went on.
    told = json.dumps(openai.requests[3]["messages"])
    assert "paths cannot leave the workspace" in told

    last = max((s for s in steps if s.workspace), key=lambda s: s.position)
    blobs = StorageBlobs(run.uid.hex)
    script = blobs.manifest(last.workspace)["sum.py"]
    assert blobs.open(script["sha256"]).read() == b"print(sum(range(10)))\n"
