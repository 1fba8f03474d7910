"""Workflow and action definitions: checked when defined, registered by slug."""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
import sys
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ValidationError

from .durations import parse_duration
from .engine import StepContext, StepKind, current_runtime
from .errors import OutputValidationError
from .registry import registry
from .retention import parse_retention
from .retry import RetryPolicy, as_policy

SLUG = re.compile(r"[a-z0-9][a-z0-9-]*\Z")


def _caller_file() -> str:
    # Two frames up: the define_* function, then the module that called it.
    return str(sys._getframe(2).f_globals.get("__file__", "<unknown>"))


def _check_common(what: str, slug: Any, input: Any, output: Any) -> None:
    if not isinstance(slug, str) or not SLUG.match(slug):
        raise ValueError(
            f"{what}(slug={slug!r}): a slug is lowercase letters, digits and dashes, e.g. "
            "'send-invoice'."
        )
    for name, model in (("input", input), ("output", output)):
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            raise ValueError(
                f"{what}(slug={slug!r}, {name}={model!r}): {name} must be a pydantic BaseModel "
                "subclass, e.g. class GreetingIn(BaseModel): name: str."
            )


def _positional_count(fn: Any) -> int:
    params = inspect.signature(fn).parameters.values()
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params)


def _coerce(model: type[BaseModel], value: Any) -> BaseModel:
    if isinstance(value, model):
        return value
    if isinstance(value, BaseModel):
        value = value.model_dump()
    return model.model_validate(value)


class Definition:
    """What workflows and actions share: a slug, typed input and output, a function, a policy."""

    kind = ""
    step_commits = "each"  # how a workflow's step records are committed (define_workflow)
    workspace = False  # whether its runs have a workspace folder (define_workflow, define_agent)

    def __init__(
        self,
        *,
        slug: str,
        input: type[BaseModel],
        output: type[BaseModel],
        run: Any,
        name: str | None = None,
        description: str = "",
        timeout: float | str | timedelta | None = None,
        retries: int | RetryPolicy | None = None,
        retention: str | dict[str, Any] | None = None,
        source: str = "<unknown>",
    ) -> None:
        what = f"define_{self.kind}(slug={slug!r})"
        _check_common(f"define_{self.kind}", slug, input, output)
        self.check_function(what, run)
        self.slug, self.name, self.description = (
            slug,
            name or slug.replace("-", " ").capitalize(),
            description,
        )
        self.input, self.output, self.fn, self.source = input, output, run, source
        self.timeout = parse_duration(timeout, f"{what}, timeout") if timeout is not None else None
        self.retries = as_policy(retries, what)
        # Statuses it names override KEYSTROKE_RETENTION for this target's runs; the rest follow it.
        self.retention = parse_retention(retention, f"{what}, retention")

    def check_function(self, what: str, run: Any) -> None:
        raise NotImplementedError

    def validate_input(self, data: Any) -> dict[str, Any]:
        """Validated input as JSON; raises pydantic.ValidationError naming the bad fields."""
        return _coerce(self.input, data).model_dump(mode="json")

    def describe(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "kind": self.kind,
            "name": self.name,
            "description": self.description,
            "input_schema": self.input.model_json_schema(),
            "output_schema": self.output.model_json_schema(),
            "triggers": [a.id for a in registry.attachments() if a.target is self],
        }


STEP_COMMITS = ("each", "deferred", "batched")


class Workflow(Definition):
    """A durable workflow. Start runs through the API or CLI; in tests, ``execute_workflow``."""

    kind = "workflow"

    def check_function(self, what: str, run: Any) -> None:
        if not inspect.iscoroutinefunction(run) or _positional_count(run) != 2:
            raise ValueError(
                f"{what}: run must be an `async def run(input, ctx)` function, got {run!r}."
            )

    def __repr__(self) -> str:
        return f"<Workflow {self.slug}>"

    async def run(self, input: Any) -> Any:
        """Inside a workflow: start this workflow as a child run and wait for its output."""
        return await self.start_child(input)

    async def start_child(self, input: Any, tool_of: str | None = None) -> Any:
        """Start a child run (``tool_of``: the agent using this workflow as a tool) and wait for
        it.
        """
        runtime = current_runtime()
        if runtime is None:
            raise RuntimeError(
                f"{self.slug}.run() starts a child run and works only inside a workflow; start a "
                "run with POST /api/workflows/<slug>, `keystroke workflows run`, or "
                "execute_workflow() in tests."
            )
        data = _coerce(self.input, input).model_dump(mode="json")
        output = await runtime.start_child(self, data, tool_of=tool_of)
        return self.output.model_validate(output)


class Action(Definition):
    """A unit of work that runs as one durable step inside a workflow."""

    kind = "action"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.wants_ctx = _positional_count(self.fn) >= 2

    def check_function(self, what: str, run: Any) -> None:
        if not callable(run) or _positional_count(run) not in (1, 2):
            raise ValueError(
                f"{what}: run must be a function taking (input) or (input, ctx), got {run!r}."
            )

    def __repr__(self) -> str:
        return f"<Action {self.slug}>"

    async def run(self, input: Any) -> Any:
        """A durable step inside a workflow; outside one, simply calls the function."""
        return await self.call(input)

    async def call(self, input: Any, attributes: dict[str, Any] | None = None) -> Any:
        """``run``, with span attributes for the step (an agent's tool call names itself)."""
        data = _coerce(self.input, input)
        runtime = current_runtime()
        if runtime is None:
            ctx = StepContext(None, None, 1, None, logging.getLogger(f"keystroke.step.{self.slug}"))
            result = self.fn(data, ctx) if self.wants_ctx else self.fn(data)
            if inspect.isawaitable(result):
                result = await result
            return self.output.model_validate(self._output_json(result))
        output = await runtime.run_step(
            StepKind.ACTION, self.slug, self, data.model_dump(mode="json"), attributes
        )
        return self.output.model_validate(output)

    def execute(self, input: Any, ctx: StepContext) -> Any:
        """Run one attempt for the engine, in a worker thread; returns the output as JSON."""
        data = self.input.model_validate(input)
        result = self.fn(data, ctx) if self.wants_ctx else self.fn(data)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        return self._output_json(result)

    def _output_json(self, result: Any) -> Any:
        try:
            return _coerce(self.output, result).model_dump(mode="json")
        except ValidationError as exc:
            raise OutputValidationError(
                f"Action {self.slug!r} returned a value that does not match "
                f"{self.output.__name__}: {exc}"
            ) from None


def define_workflow(
    *,
    slug: str,
    input: type[BaseModel],
    output: type[BaseModel],
    run: Any,
    name: str | None = None,
    description: str = "",
    timeout: float | str | timedelta | None = None,
    retries: int | RetryPolicy | None = None,
    retention: str | dict[str, Any] | None = None,
    step_commits: str = "each",
    workspace: bool = False,
) -> Workflow:
    """Define and register a workflow. See ``workflows.sdk`` for the full docs.

    ``step_commits`` says when a finished step's record is committed. The default, ``"each"``,
    commits every step as it finishes: a crash runs again only the step it interrupted.
    ``"deferred"`` commits it with the pass's next write (the next step's record, a sleep, a
    hook, a child run, the run's end): one transaction fewer per run, since the last step is
    committed with the run's end, and a crash after a step and before that next write runs that
    step again. ``"batched"`` commits finished steps together: with a sleep, a hook, a child
    run, a step that failed or was charged, the run's end, or when 100 are waiting or the oldest
    has waited a second. A ten-step run is then three transactions instead of thirteen, and a
    crash runs again every step since the last commit, so keep it for steps that are safe to
    repeat (reads, pure computation, idempotent writes); History shows such steps when they are
    committed, and a cancel takes effect at the next commit.

    ``workspace=True`` gives each run a folder, ``ctx.workspace`` in the workflow and
    ``StepContext.workspace`` in its actions, that its steps and agents share: what a step leaves
    there is stored when it finishes (only content not stored yet) and restored for the next
    step, on whichever worker runs it, after a crash or a sleep too. ``StepContext.run_command``
    and the agent tools of ``workspace_tools()`` work in it. It is bounded by
    KEYSTROKE_WORKSPACE_MAX_BYTES and KEYSTROKE_WORKSPACE_MAX_FILES, and deleted with the run.

    ``retention`` says how long this workflow's finished runs are kept, by status, instead of
    ``KEYSTROKE_RETENTION``: ``"success=7d,failed=90d"``, ``{"success": "7d"}``, one duration for
    every status (``"30d"``), or ``"forever"``. A status it leaves out follows
    ``KEYSTROKE_RETENTION``; ``None`` (the default) follows it for all. Durations need a unit
    (``12h``, ``30d``, ``4w``); ``"forever"`` or ``None`` as a dict value keeps that status.
    """
    workflow = Workflow(
        slug=slug,
        input=input,
        output=output,
        run=run,
        name=name,
        description=description,
        timeout=timeout,
        retries=retries,
        retention=retention,
        source=_caller_file(),
    )
    if step_commits not in STEP_COMMITS:
        raise ValueError(
            f"define_workflow(slug={slug!r}, step_commits={step_commits!r}): step_commits is "
            f"one of {', '.join(map(repr, STEP_COMMITS))}."
        )
    workflow.step_commits = step_commits
    if not isinstance(workspace, bool):
        raise ValueError(
            f"define_workflow(slug={slug!r}, workspace={workspace!r}): workspace is True or False."
        )
    workflow.workspace = workspace
    registry.add(workflow)
    return workflow


def define_action(
    *,
    slug: str,
    input: type[BaseModel],
    output: type[BaseModel],
    run: Any,
    name: str | None = None,
    description: str = "",
    timeout: float | str | timedelta | None = None,
    retries: int | RetryPolicy | None = None,
) -> Action:
    """Define and register an action. See ``workflows.sdk`` for the full docs."""
    action = Action(
        slug=slug,
        input=input,
        output=output,
        run=run,
        name=name,
        description=description,
        timeout=timeout,
        retries=retries,
        source=_caller_file(),
    )
    registry.add(action)
    return action
