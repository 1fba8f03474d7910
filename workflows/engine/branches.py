"""Concurrent branches: every asyncio task a workflow creates numbers its own steps.

``asyncio.gather(a(), b())`` runs ``a`` and ``b`` as tasks. Their steps are asked for in an
order that depends on timing (a retry in one branch delays it by a pass, not the other), so
a single counter would give a step another step's id on replay. Each task gets a branch path
instead: ``""`` for the workflow's own task, then ``"0"``, ``"1"``... for the tasks it creates,
in creation order, and ``"1.0"`` for the first task created inside branch ``"1"``. Creation
order is as deterministic as the workflow code, which replay requires anyway.

Inside an agent or prompt_llm step the branch is pinned: the library running the model may
create tasks of its own (and another version may create others), but it asks for its steps
one at a time (agent tools are declared sequential in ``workflows.llm.agents``), so they are
numbered in the step's branch.

Any helper that runs an awaitable as a task makes a branch too: ``asyncio.wait_for`` does on
Python 3.11 and not on 3.12. Finish or cancel runs in flight before changing the workers'
Python; a run whose ids moved fails with NonDeterminismError instead of reusing records.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine, Generator
from dataclasses import dataclass
from typing import Any, TypeVar

_T = TypeVar("_T")


@dataclass
class Branch:
    path: str
    pinned: bool = False
    children: int = 0

    def child(self) -> Branch:
        path = f"{self.path}.{self.children}" if self.path else str(self.children)
        self.children += 1
        return Branch(path)


_branch: contextvars.ContextVar[Branch | None] = contextvars.ContextVar(
    "keystroke_branch", default=None
)


def branch_path() -> str:
    """The branch of the task asking for a step; ``""`` outside any (the workflow's own)."""
    branch = _branch.get()
    return branch.path if branch is not None else ""


def pin() -> contextvars.Token[Branch | None]:
    """Keep tasks created from here on in the current branch; undo with ``unpin``."""
    return _branch.set(Branch(branch_path(), pinned=True))


def unpin(token: contextvars.Token[Branch | None]) -> None:
    _branch.reset(token)


def start_root(
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any], context: contextvars.Context
) -> asyncio.Task[Any]:
    """Run ``coro`` as the workflow's own task; tasks it creates become numbered branches."""
    context.run(_branch.set, Branch(""))
    loop.set_task_factory(_branch_task)
    return asyncio.Task(coro, loop=loop, context=context)


def _branch_task(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, _T] | Generator[Any, None, _T],
    /,
    **kwargs: Any,
) -> asyncio.Task[_T]:
    context = kwargs.pop("context", None) or contextvars.copy_context()
    parent = context.get(_branch)
    if parent is not None and not parent.pinned:
        context.run(_branch.set, parent.child())
    return asyncio.Task(coro, loop=loop, context=context, **kwargs)
