"""The authoring SDK: the one module workflow code imports.

A workflow is an ``async def run(input, ctx)`` that calls durable steps: actions
(``await action.run(x)``), child workflows (``await other.run(x)``), agents
(``await agent.prompt("…")``), ``prompt_llm()``, ``ctx.sleep()``, ``ctx.hook()``, ``now()``
and ``uuid4()``. Every step is recorded as it finishes. When the
run resumes (after a crash, a sleep, a hook or a deploy) ``run`` starts again from the top
and each recorded step returns its recorded result instead of executing again.

Plain code between steps runs again on every replay, so a workflow body must be
deterministic. Do not call, directly in a workflow body:

* ``datetime.now()``, ``time.time()``: use ``await now()`` (or ``await ctx.now()``);
* ``random``, ``uuid.uuid4()``: use ``await uuid4()``, or do it inside an action;
* ``asyncio.sleep()``, ``time.sleep()``: use ``await ctx.sleep("5m")``;
* network, file or database I/O: put it in an action.

Steps run at least once: a crash after a side effect and before its record commits
repeats that step, so pass ``StepContext.idempotency_key`` to the systems you call.
``asyncio.gather(a.run(x), b.run(y))`` runs steps concurrently. Each task a workflow creates
is a branch that numbers its own steps (``step:<slug>#<branch>/<n>``, branches counted in
creation order), so a retry that delays one branch never changes another's step ids.

``define_workflow(..., workspace=True)`` gives a run a folder its steps share (``ctx.workspace``,
``StepContext.workspace``), stored after every step and restored on any worker; actions run
sandboxed commands in it with ``StepContext.run_command``, agents get ``workspace_tools()``.

A deploy that changes which steps a workflow asks for puts the change behind
``if ctx.patched("change-id"):``, keeping the old path in the ``else`` for runs whose history was
recorded by the old code; otherwise their replay fails with a NonDeterminismError.
"""

from __future__ import annotations

import uuid as _uuid
from datetime import datetime, timedelta
from typing import Any

from .definitions import Action, Workflow, define_action, define_workflow
from .durations import parse_duration
from .engine import (
    Completed,
    Context,
    Failed,
    HookHandle,
    MemoryEventLog,
    Outcome,
    StepContext,
    Suspended,
    SuspendItem,
    current_runtime,
    execute,
)
from .engine.context import recorded_now, recorded_uuid
from .engine.replay import utcnow
from .engine.runtime import Runtime
from .errors import (
    ChildWorkflowFailed,
    CommandTimeout,
    HookTimeout,
    MissingModelKey,
    NonDeterminismError,
    NonRetryableError,
    OutputValidationError,
    RetriesExhausted,
    SandboxUnavailable,
    StepFailed,
    StepTimeout,
    WorkflowError,
    WorkflowTimeout,
    WorkspaceError,
)
from .llm import Agent, AgentResult, define_agent, prompt_llm
from .retry import RetryPolicy
from .triggers.definitions import (
    Attachment,
    Poll,
    Schedule,
    Webhook,
    define_poll,
    define_schedule,
    define_webhook,
)
from .workspace import CommandResult
from .workspace.tools import (
    delete_file,
    list_files,
    read_file,
    run_command,
    workspace_tools,
    write_file,
)

__all__ = [
    "Action",
    "Agent",
    "AgentResult",
    "Attachment",
    "ChildWorkflowFailed",
    "CommandResult",
    "CommandTimeout",
    "Completed",
    "Context",
    "Failed",
    "HookHandle",
    "HookTimeout",
    "MissingModelKey",
    "MemoryEventLog",
    "NonDeterminismError",
    "NonRetryableError",
    "Outcome",
    "OutputValidationError",
    "Poll",
    "RetriesExhausted",
    "RetryPolicy",
    "SandboxUnavailable",
    "Schedule",
    "StepContext",
    "StepFailed",
    "StepTimeout",
    "Suspended",
    "SuspendItem",
    "Webhook",
    "Workflow",
    "WorkflowError",
    "WorkflowTimeout",
    "WorkspaceError",
    "define_action",
    "define_agent",
    "define_poll",
    "define_schedule",
    "define_webhook",
    "define_workflow",
    "delete_file",
    "execute_workflow",
    "list_files",
    "now",
    "prompt_llm",
    "read_file",
    "run_command",
    "sleep",
    "uuid4",
    "workspace_tools",
    "write_file",
]


def execute_workflow(
    workflow: Workflow, input: Any, event_log: MemoryEventLog | None = None, *, clock: Any = utcnow
) -> Outcome:
    """Run one durable pass of ``workflow`` in-process, with no database, broker or network.

    Args:
        workflow: A workflow made by ``define_workflow``.
        input: Its input, as a model instance or a dict; it is round-tripped through JSON
            like on a server, so values that would not survive storage fail here.
        event_log: The history to replay. Seed it (``MemoryEventLog.seeded({...})``) to
            skip steps; pass the same log again to continue a suspended run.
        clock: A function returning the current aware datetime, to test sleeps and timeouts.

    Returns:
        ``Completed(output)``, ``Failed(error)`` or ``Suspended(items)``, where each item is a
        sleep, a retry backoff, a hook (with its token) or a child run.
    """
    log = event_log if event_log is not None else MemoryEventLog()
    return execute(workflow, workflow.validate_input(input), log, clock=clock)


def _runtime_or_fail(what: str) -> Runtime:
    runtime = current_runtime()
    if runtime is None:
        raise RuntimeError(f"{what} is a durable step and works only inside a workflow's run().")
    return runtime


async def now() -> datetime:
    """The current UTC time, recorded as a step so that replay sees the same value."""
    return await recorded_now(_runtime_or_fail("now()"))


async def uuid4() -> _uuid.UUID:
    """A random UUID, recorded as a step so that replay sees the same value."""
    return await recorded_uuid(_runtime_or_fail("uuid4()"))


async def sleep(duration: float | str | timedelta) -> None:
    """Durably suspend the run, as ``ctx.sleep(duration)`` does."""
    runtime = _runtime_or_fail("sleep()")
    await runtime.sleep(delay=parse_duration(duration, "sleep(duration)"))
