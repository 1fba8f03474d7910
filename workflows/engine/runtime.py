"""The seam between the SDK and the engine: what workflow-side code may ask of a running pass.

Definitions, agents, the model call and the SDK find the pass running their code with
``current_runtime()`` and call these typed methods; ``None`` means the code runs outside a
workflow (an action called directly, an agent prompted from a script).
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from ..retry import RetryPolicy
from .kinds import StepKind
from .log import StepRecord
from .step_context import StepContext

# Span attributes of one step, e.g. the tool call an agent's action step answers.
Attributes = dict[str, Any]


class StepTarget(Protocol):
    """What an executed step runs: an action, or one model request."""

    @property
    def slug(self) -> str: ...

    @property
    def timeout(self) -> timedelta | None: ...

    @property
    def retries(self) -> RetryPolicy | None: ...

    def execute(self, input: Any, ctx: StepContext) -> Any:
        """One attempt, in a step thread; returns the output as JSON."""
        ...


class WorkflowDef(Protocol):
    """A workflow as the engine runs it: validated input, an async body, validated output."""

    @property
    def slug(self) -> str: ...

    @property
    def input(self) -> Any: ...  # a pydantic model class

    @property
    def output(self) -> Any: ...  # a pydantic model class

    @property
    def retries(self) -> RetryPolicy | None: ...

    @property
    def fn(self) -> Callable[[Any, Any], Awaitable[Any]]: ...

    @property
    def workspace(self) -> bool:
        """Whether its runs have a workspace folder, kept across steps and workers."""
        ...


class Runtime(Protocol):
    """One pass of a run, as the code it runs sees it."""

    @property
    def run_id(self) -> str: ...

    @property
    def attempt(self) -> int: ...

    def now(self) -> datetime:
        """The pass's clock (a test may pass its own)."""
        ...

    async def run_step(
        self,
        kind: StepKind,
        key: str,
        target: StepTarget,
        input: Any,
        attributes: Attributes | None = None,
    ) -> Any:
        """An executed step (action or model request): recorded output, or a new attempt."""
        ...

    async def start_child(
        self,
        workflow: WorkflowDef,
        input: Any,
        tool_of: str | None = None,
    ) -> Any:
        """A child run's output (``tool_of``: the agent using the workflow as a tool)."""
        ...

    async def sleep(self, delay: timedelta | None = None, until: datetime | None = None) -> None:
        """Suspend until ``until``, or for ``delay`` from the first time this sleep was asked."""
        ...

    async def record_value(self, kind: StepKind, compute: Callable[[], Any]) -> Any:
        """``compute()`` on the first pass, its recorded value on every later one."""
        ...

    def patched(self, change_id: str) -> bool:
        """Whether the run takes ``change_id``'s new code path (recorded as a marker step)."""
        ...

    def deprecate_patch(self, change_id: str) -> None:
        """Take ``change_id``'s marker where the history has one; record none."""
        ...

    def open_hook(self, name: str, input: dict[str, Any], timeout: timedelta | None) -> StepRecord:
        """Record a hook when first asked for, so its URL works before the run waits on it."""
        ...

    async def wait_hook(self, hook: StepRecord) -> Any:
        """The payload a hook was resumed with; suspends the run until then."""
        ...

    def hook_url(self, token: str) -> str: ...

    def workspace(self) -> Path | None:
        """The run's workspace folder, restored on first use (None: the workflow has none)."""
        ...

    async def composite(
        self, kind: StepKind, key: str, input: Any, body: Callable[[], Awaitable[Any]]
    ) -> Any:
        """``body`` as one step (an agent prompt, a prompt_llm) whose own steps are its children.

        The body runs again on every replay, so its children are asked for in the same order
        and answered from the log: a finished model call is never made twice.
        """
        ...


_current: contextvars.ContextVar[Runtime | None] = contextvars.ContextVar(
    "keystroke_runtime", default=None
)


def current_runtime() -> Runtime | None:
    """The pass whose workflow code is running in this context, if any."""
    return _current.get()


def bind(runtime: Runtime, context: contextvars.Context) -> None:
    """Make ``runtime`` the current one for code running in ``context``."""
    context.run(_current.set, runtime)
