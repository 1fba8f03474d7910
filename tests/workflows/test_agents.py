"""Agents and prompt_llm in-process: tool calls, structured output, replay, providers."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from genai_prices import Usage, calc_price

from workflows.engine import Completed, Failed, MemoryEventLog, execute
from workflows.registry import registry
from workflows.sdk import define_agent, prompt_llm

from ..llm_server import LoopbackOpenAI, loopback_openai, text_reply, tool_reply

SECRET = "sk-test-0123456789abcdefghijklmnop"


@pytest.fixture
def openai(monkeypatch: pytest.MonkeyPatch) -> LoopbackOpenAI:
    with loopback_openai() as server:
        monkeypatch.setenv("KEYSTROKE_OFFLINE_MODELS", "0")
        monkeypatch.setenv("OPENAI_BASE_URL", server.url)
        monkeypatch.setenv("OPENAI_API_KEY", SECRET)
        yield server


def prompt(slug: str, message: str, log: MemoryEventLog) -> Completed | Failed:
    outcome = execute(registry.workflow(slug), {"message": message}, log)
    assert isinstance(outcome, (Completed, Failed)), outcome
    return outcome


def test_offline_agent_calls_its_tools_and_answers_with_valid_structured_output() -> None:
    log = MemoryEventLog()
    outcome = prompt("lead-researcher", "Research ada@example.com", log)

    assert isinstance(outcome, Completed), outcome
    steps = {r.step_id: r for _, r in sorted(log.records.items())}
    assert list(steps) == [
        "step:lead-researcher#0",
        "step:model#0",
        "step:lookup-company#0",
        "step:score-lead#0",
        "step:greeting#0",
        "step:model#1",
    ]
    # The tools ran as their actions and child workflow, with the email from the prompt.
    assert steps["step:lookup-company#0"].output == {
        "domain": "example.com",
        "name": "Example",
        "employees": 1854,
    }
    assert steps["step:greeting#0"].kind == "workflow" and log.children
    assert {r.parent_position for r in steps.values()} == {None, 0}
    reply = outcome.output["output"]
    assert set(reply) == {"company", "score", "reason"} and 0 <= reply["score"] <= 100
    agent = steps["step:lead-researcher#0"].output
    assert agent["model"] == "test"
    messages = agent["conversation"]
    assert [m["role"] for m in messages[:3]] == ["system", "user", "assistant"]
    assert [c["name"] for c in messages[2]["tool_calls"]] == [
        "lookup-company",
        "score-lead",
        "greeting",
    ]
    assert messages[3] == {
        "role": "tool",
        "tool_call_id": messages[2]["tool_calls"][0]["id"],
        "name": "lookup-company",
        "content": {"domain": "example.com", "name": "Example", "employees": 1854},
    }
    assert messages[-2]["tool_calls"][0]["name"] == "final_result"
    assert [u["label"] for u in log.usage if u["kind"] == "model"] == ["test", "test"]


def test_tool_calls_execute_actions_and_replay_asks_the_model_nothing(
    openai: LoopbackOpenAI, tmp_path: Path
) -> None:
    marker = tmp_path / "effects"
    openai.answer(
        tool_reply("effect", {"marker": str(marker), "label": "looked-up"}),
        tool_reply("final_result", {"score": 87, "reason": "big company"}),
    )
    log = MemoryEventLog()
    outcome = prompt("scripted-researcher", "Research ada@example.com", log)

    assert outcome == Completed(
        {"output": {"score": 87, "reason": "big company"}, "text": outcome.output["text"]}
    )
    assert marker.read_text() == "looked-up\n"
    assert len(openai.requests) == 2
    # The second request carries the tool's result back to the model.
    assert '"label":"looked-up"' in openai.requests[1]["messages"][-1]["content"].replace(" ", "")

    again = prompt("scripted-researcher", "Research ada@example.com", log)
    assert again == outcome
    assert len(openai.requests) == 2, "a replay answers model calls from the log"
    assert marker.read_text() == "looked-up\n"


def test_structured_output_is_validated_and_the_model_asked_again(openai: LoopbackOpenAI) -> None:
    openai.answer(
        tool_reply("final_result", {"score": 140, "reason": "too keen"}),
        tool_reply("final_result", {"score": 90, "reason": "fixed"}),
    )
    log = MemoryEventLog()
    outcome = prompt("scripted-researcher", "Research", log)

    assert isinstance(outcome, Completed) and outcome.output["output"] == {
        "score": 90,
        "reason": "fixed",
    }
    retry = openai.requests[1]["messages"][-1]
    assert "less than or equal to 100" in retry["content"]
    told = [
        m
        for m in log.records[0].output["conversation"]
        if "less than or equal to 100" in str(m["content"])
    ]
    assert told and told[0]["role"] in ("tool", "retry")


def test_invalid_output_on_every_try_fails_the_agent_step_with_its_conversation(
    openai: LoopbackOpenAI,
) -> None:
    openai.answer(*[tool_reply("final_result", {"score": 140, "reason": "no"})] * 3)
    log = MemoryEventLog()
    outcome = prompt("scripted-researcher", "Research", log)

    assert isinstance(outcome, Failed)
    assert outcome.error["step_id"] == "step:scripted-researcher#0"
    cause = outcome.error["attempts"][0]
    assert cause["type"] == "UnexpectedModelBehavior"
    assert cause["conversation"][-1]["role"] == "error"
    assert log.records[0].status == "failed"


def test_model_calls_record_tokens_and_a_cost_priced_by_genai_prices(
    openai: LoopbackOpenAI,
) -> None:
    openai.answer(
        text_reply("Ada works at Example.", 1200, 300),
        tool_reply("final_result", {"score": 5, "reason": "x"}),
    )
    log = MemoryEventLog()
    outcome = execute(registry.workflow("llm-steps"), {"question": "Who is Ada?"}, log)

    assert outcome == Completed(
        {"text": "Ada works at Example.", "verdict": {"score": 5, "reason": "x"}}
    )
    assert [r.step_id for _, r in sorted(log.records.items())] == [
        "step:llm#0",
        "step:model#0",
        "step:llm#1",
        "step:model#1",
    ]
    first = log.usage[0]
    expected = calc_price(
        Usage(input_tokens=1200, output_tokens=300), "gpt-4o-mini", provider_id="openai"
    )
    assert (first["provider"], first["model"], first["label"]) == (
        "openai",
        "gpt-4o-mini",
        "openai:gpt-4o-mini",
    )
    assert (first["tokens_in"], first["tokens_out"]) == (1200, 300)
    assert Decimal(first["cost"]) == expected.total_price > 0
    assert log.records[1].cost == expected.total_price
    assert Decimal(first["unit_price_in"]) * 1200 == expected.input_price


def test_a_missing_key_fails_the_step_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYSTROKE_OFFLINE_MODELS", "0")
    log = MemoryEventLog()
    outcome = prompt("scripted-researcher", "Research", log)

    assert isinstance(outcome, Failed)
    assert "set OPENAI_API_KEY" in outcome.error["message"]
    model_step = log.records[1]
    assert model_step.step_id == "step:model#0" and model_step.status == "failed"
    assert len(model_step.attempts) == 1, "a missing key is not retried"


def test_a_refused_request_is_not_retried(openai: LoopbackOpenAI) -> None:
    openai.answer({"error": {"message": "Incorrect API key provided"}}, status=401)
    log = MemoryEventLog()
    outcome = prompt("scripted-researcher", "Research", log)

    assert isinstance(outcome, Failed) and "401" in outcome.error["message"]
    assert len(openai.requests) == 1
    headers = {name.lower(): value for name, value in openai.headers[0].items()}
    assert headers["authorization"] == f"Bearer {SECRET}"


def test_definitions_name_the_fix() -> None:
    with pytest.raises(ValueError, match="write provider:model"):
        define_agent(slug="bad-model", model="gpt-4o")
    with pytest.raises(ValueError, match="is not an action, workflow or agent"):
        define_agent(slug="bad-tool", model="openai:gpt-4o-mini", tools=[print])


def test_outside_a_workflow_prompt_llm_simply_calls_the_model() -> None:
    text = asyncio.run(prompt_llm("Say hi", model="anthropic:claude-sonnet-4-5"))
    assert text == "success (no tool calls)"


def test_an_agent_tool_runs_that_agent_as_a_nested_step_and_paid_services_are_lines() -> None:
    log = MemoryEventLog()
    outcome = prompt("manager", "Size up example.com", log)

    assert isinstance(outcome, Completed), outcome
    steps = [(r.step_id, r.kind, r.parent_position) for _, r in sorted(log.records.items())]
    assert steps[:4] == [
        ("step:manager#0", "agent", None),
        ("step:model#0", "model", 0),
        ("step:paid-lookup#0", "action", 0),
        ("step:summariser#0", "agent", 0),
    ]
    assert [s for s in steps if s[2] == 3] == [("step:model#1", "model", 3)]
    service = [u for u in log.usage if u["kind"] == "service"]
    assert service == [
        {
            "kind": "service",
            "service": "clearbit",
            "quantity": "1",
            "unit": "call",
            "cost": "0.02",
            "position": 2,
        }
    ]
    assert log.records[2].cost == Decimal("0.02")
