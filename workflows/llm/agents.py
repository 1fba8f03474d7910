"""Agents and ``prompt_llm``: durable steps whose model and tool calls are child steps.

Built on pydantic-ai. Inside a workflow, ``agent.prompt()`` is one step (``step:<slug>#n``)
and the pydantic-ai agent loop runs in the workflow's own event loop; every model request it
makes is a ``step:model#n`` and every tool call the step of its action, child workflow or
agent. On replay the loop runs again and each finished request is answered from the log,
so a crash mid-conversation repeats no finished model call.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any

from pydantic import BaseModel, Field, ValidationError
from pydantic_ai import Agent as PydanticAgent
from pydantic_ai import capture_run_messages
from pydantic_ai.exceptions import ModelRetry
from pydantic_ai.tools import RunContext, Tool

from ..definitions import Action, Definition, Workflow, _caller_file
from ..durations import parse_duration
from ..engine import StepKind, current_runtime
from ..errors import AgentFailed, StepFailed
from ..registry import registry
from ..retry import RetryPolicy, as_policy
from ..workspace.tools import WorkspaceTool, workspace_tools
from .conversation import conversation
from .model_call import DurableModel
from .providers import check_model_name, used_name


class AgentPrompt(BaseModel):
    """The input of an agent run: ``keystroke agents prompt <slug> --message …``."""

    message: str = Field(min_length=1, description="What to ask the agent.")


class AgentReply(BaseModel):
    """The output of an agent run: its structured output (if it declares one) and its text."""

    output: Any = None
    text: str = ""


@dataclass(frozen=True)
class AgentResult:
    """What ``agent.prompt()`` returns: ``output`` (the output model, or the text), ``text``,
    ``messages``.
    """

    output: Any
    text: str
    model: str
    messages: list[dict[str, Any]] = field(default_factory=list)


class Agent(Definition):
    """A model with a system prompt, tools and an optional structured output."""

    kind = "agent"

    def __init__(
        self,
        *,
        slug: str,
        model: str,
        system_prompt: str = "",
        tools: list[Any] | tuple[Any, ...] = (),
        output: type[BaseModel] | None = None,
        workspace: bool = False,
        **kwargs: Any,
    ) -> None:
        what = f"define_agent(slug={slug!r})"
        super().__init__(
            slug=slug, input=AgentPrompt, output=AgentReply, run=self._run_as_target, **kwargs
        )
        self.model = check_model_name(model, what)
        if output is not None and not (isinstance(output, type) and issubclass(output, BaseModel)):
            raise ValueError(
                f"{what}: output={output!r} must be a pydantic BaseModel subclass, or left out "
                "for text."
            )
        self.system_prompt, self.output_model = system_prompt, output
        if not isinstance(workspace, bool):
            raise ValueError(f"{what}: workspace={workspace!r} is True or False.")
        if workspace:  # its own runs get a workspace, and it gets the tools that use it
            tools = [*tools, *(t for t in workspace_tools() if t not in tools)]
        self.workspace = workspace
        self.tools = _check_tools(what, slug, tools)
        # ``timeout`` bounds each model call; an agent run as a whole has no deadline.
        self.call_timeout, self.timeout = self.timeout, None

    def check_function(self, what: str, run: Any) -> None:
        pass  # an agent's run is its own prompt()

    def __repr__(self) -> str:
        return f"<Agent {self.slug}>"

    def describe(self) -> dict[str, Any]:
        return {
            **super().describe(),
            "model": self.model,
            "tools": [tool.slug for tool in self.tools],
        }

    async def prompt(self, message: str) -> AgentResult:
        """Ask the agent; inside a workflow this is a durable step, outside one a plain call."""
        if not isinstance(message, str) or not message.strip():
            raise ValueError(f"{self.slug}.prompt(message): give the agent a non-empty message.")
        model = used_name(self.model)
        runtime = current_runtime()
        if runtime is None:
            data = await self._converse(message, model)
        else:
            input = {"message": message, "model": model}
            data = await runtime.composite(
                StepKind.AGENT, self.slug, input, lambda: self._converse(message, model)
            )
        output = data["output"]
        if self.output_model is not None:
            output = self.output_model.model_validate(output)
        return AgentResult(output, data["text"], data["model"], data["conversation"])

    async def _run_as_target(self, input: AgentPrompt, ctx: Any) -> AgentReply:
        result = await self.prompt(input.message)
        return AgentReply(output=_plain(result.output), text=result.text)

    async def _converse(self, message: str, model: str) -> dict[str, Any]:
        return await converse(self._pydantic_agent, message, model, self.call_timeout, self.retries)

    @cached_property
    def _pydantic_agent(self) -> PydanticAgent[None, Any]:
        return PydanticAgent(
            output_type=self.output_model or str,
            system_prompt=self.system_prompt or (),
            tools=[_tool(self.slug, target) for target in self.tools],
            name=self.slug,
        )


async def converse(
    agent: PydanticAgent[None, Any],
    message: str,
    model: str,
    timeout: Any,
    retries: RetryPolicy | None,
) -> dict[str, Any]:
    """One pydantic-ai run; the step's output: output, text, model and the conversation."""
    with capture_run_messages() as messages:
        try:
            result = await agent.run(message, model=DurableModel(model, timeout, retries))
        except Exception as exc:
            raise AgentFailed(exc, conversation(messages, error=exc)) from exc
    output = _plain(result.output)
    text = output if isinstance(output, str) else json.dumps(output, ensure_ascii=False)
    return {
        "output": output,
        "text": text,
        "model": model,
        "conversation": conversation(result.all_messages()),
    }


_llm_agents: dict[tuple[Any, str], PydanticAgent[None, Any]] = {}


async def prompt_llm(
    prompt: str,
    *,
    model: str,
    output: type[BaseModel] | None = None,
    system_prompt: str = "",
    timeout: float | str | timedelta | None = None,
    retries: int | RetryPolicy | None = None,
) -> Any:
    """Ask a model once (``step:llm#n``): returns the text, or an ``output`` model instance.

    Inside a workflow this is a durable step whose model call is its child step; outside one
    it simply calls the model.
    """
    check_model_name(model, "prompt_llm()")
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("prompt_llm(prompt): give the model a non-empty prompt.")
    if output is not None and not (isinstance(output, type) and issubclass(output, BaseModel)):
        raise ValueError(
            f"prompt_llm(output={output!r}): output must be a pydantic BaseModel subclass."
        )
    key = (output, system_prompt)
    if key not in _llm_agents:  # one pydantic-ai agent per output type and system prompt
        _llm_agents[key] = PydanticAgent(
            output_type=output or str, system_prompt=system_prompt or (), name="llm"
        )
    agent, used = _llm_agents[key], used_name(model)
    step_timeout = parse_duration(timeout, "prompt_llm(timeout=…)") if timeout is not None else None
    policy = as_policy(retries, "prompt_llm()")

    async def body() -> dict[str, Any]:
        return await converse(agent, prompt, used, step_timeout, policy)

    runtime = current_runtime()
    data = (
        await body()
        if runtime is None
        else await runtime.composite(StepKind.LLM, "llm", {"prompt": prompt, "model": used}, body)
    )
    return output.model_validate(data["output"]) if output is not None else data["text"]


def _check_tools(what: str, slug: str, tools: Any) -> list[Any]:
    if not isinstance(tools, (list, tuple)):
        raise ValueError(f"{what}: tools must be a list of actions, workflows and agents.")
    seen: set[str] = set()
    for tool in tools:
        if not isinstance(tool, (Action, Workflow, Agent)):
            raise ValueError(
                f"{what}: tool {tool!r} is not an action, workflow or agent; pass what "
                "define_action, define_workflow or define_agent returned."
            )
        if tool.slug == slug:
            raise ValueError(f"{what}: an agent cannot be its own tool.")
        if tool.slug in seen:
            raise ValueError(f"{what}: tool {tool.slug!r} is listed twice.")
        seen.add(tool.slug)
    return list(tools)


TOLD_TO_THE_MODEL = ("WorkspaceError", "CommandTimeout")


def _tool(agent_slug: str, target: Any) -> Tool[None]:
    """A pydantic-ai tool that runs ``target`` as a durable step of the agent's step."""

    async def call(ctx: RunContext[None], **arguments: Any) -> Any:
        try:
            data = target.input.model_validate(arguments)
        except ValidationError as exc:
            raise ModelRetry(f"Invalid arguments for {target.slug}: {exc}") from None
        if isinstance(target, Agent):
            return _plain((await target.prompt(data.message)).output)
        if isinstance(target, Workflow):
            return _plain(await target.start_child(data, tool_of=agent_slug))
        attributes = {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": name,
            "gen_ai.tool.call.id": ctx.tool_call_id or "",
        }
        try:
            return _plain(await target.call(data, attributes))
        except StepFailed as exc:
            # A path out of the workspace, a missing file, a command past its time limit: the
            # model can change its call. The step stays failed in the history, and its replay
            # raises the same error, so the same retry is asked of the model.
            refused = [e for e in exc.errors if e.get("type") in TOLD_TO_THE_MODEL]
            if isinstance(target, WorkspaceTool) and refused:
                raise ModelRetry(refused[-1].get("message", "")) from None
            raise

    name = getattr(target, "tool_name", target.slug)
    schema = target.input.model_json_schema()
    description = target.description or target.name
    # One tool call at a time: concurrent ones would ask for their steps in an order that
    # depends on timing (a retry in one branch), and replay needs the same order every pass.
    return Tool.from_schema(
        call,
        name=name,
        description=description,
        json_schema=schema,
        takes_ctx=True,
        sequential=True,
    )


def _plain(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


def define_agent(
    *,
    slug: str,
    model: str,
    system_prompt: str = "",
    tools: list[Any] | tuple[Any, ...] = (),
    output: type[BaseModel] | None = None,
    name: str | None = None,
    description: str = "",
    timeout: float | str | timedelta | None = None,
    retries: int | RetryPolicy | None = None,
    retention: str | dict[str, Any] | None = None,
    workspace: bool = False,
) -> Agent:
    """Define and register an agent. ``timeout`` and ``retries`` apply to each model call.

    ``workspace=True`` gives the agent the tools of ``workspace_tools()`` (read_file,
    write_file, list_files, delete_file, run_command) and its own runs a workspace; inside a
    workflow, the tools work in the workflow's workspace, so define it with workspace=True too.

    ``retention`` keeps this agent's finished runs for their own time, by status, as it does
    for ``define_workflow``: e.g. ``"success=7d"``, ``{"failed": "90d"}`` or ``"forever"``;
    statuses left out follow ``KEYSTROKE_RETENTION``.
    """
    agent = Agent(
        slug=slug,
        model=model,
        system_prompt=system_prompt,
        tools=tools,
        output=output,
        name=name,
        description=description,
        timeout=timeout,
        retries=retries,
        retention=retention,
        workspace=workspace,
        source=_caller_file(),
    )
    registry.add(agent)
    return agent
