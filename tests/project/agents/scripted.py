"""Agents the tests drive through a loopback OpenAI-compatible server (tests/llm_server.py)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from workflows.sdk import (
    Context,
    StepContext,
    define_action,
    define_agent,
    define_workflow,
    prompt_llm,
)

from ..actions.effects import effect


class Verdict(BaseModel):
    score: int = Field(ge=0, le=100)
    reason: str


scripted_researcher = define_agent(
    slug="scripted-researcher",
    description="Calls the effect action as its tool and answers with a Verdict.",
    model="openai:gpt-4o-mini",
    system_prompt="You research leads.",
    tools=[effect],
    output=Verdict,
    retries=1,
)


class Ask(BaseModel):
    question: str


class Answers(BaseModel):
    text: str
    verdict: Verdict


async def run(input: Ask, ctx: Context) -> Answers:
    text = await prompt_llm(input.question, model="openai:gpt-4o-mini")
    verdict = await prompt_llm(
        f"Score: {input.question}", model="openai:gpt-4o-mini", output=Verdict
    )
    return Answers(text=text, verdict=verdict)


llm_steps = define_workflow(slug="llm-steps", input=Ask, output=Answers, run=run)


class Lookup(BaseModel):
    domain: str


class Found(BaseModel):
    employees: int


def _paid_lookup(input: Lookup, ctx: StepContext) -> Found:
    ctx.charge("clearbit", "0.02")  # a paid service the action declares
    return Found(employees=len(input.domain) * 100)


paid_lookup = define_action(slug="paid-lookup", input=Lookup, output=Found, run=_paid_lookup)

summariser = define_agent(
    slug="summariser", model="anthropic:claude-sonnet-4-5", system_prompt="Summarise."
)
# An agent whose tools are a paid action and another agent.
manager = define_agent(slug="manager", model="openai:gpt-4o-mini", tools=[paid_lookup, summariser])
