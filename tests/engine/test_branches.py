"""Branch paths: every task a workflow creates is numbered in creation order, nested ones too."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from workflows.engine import branches

Record = Callable[[str], Awaitable[None]]


def run_as_workflow(workflow: Callable[[Record], Coroutine[Any, Any, None]]) -> list[str]:
    seen: list[str] = []
    loop = asyncio.new_event_loop()
    try:

        async def record(tag: str) -> None:
            await asyncio.sleep(0)
            seen.append(f"{tag}={branches.branch_path()}")

        main = branches.start_root(loop, workflow(record), contextvars.copy_context())
        loop.run_until_complete(main)
    finally:
        loop.close()
    return seen


def test_gathered_tasks_are_branches_numbered_in_creation_order() -> None:
    async def workflow(record: Record) -> None:
        await record("root")
        await asyncio.gather(record("a"), record("b"))
        await asyncio.gather(record("c"))

    assert sorted(run_as_workflow(workflow)) == ["a=0", "b=1", "c=2", "root="]


def test_a_task_created_inside_a_branch_is_numbered_under_it() -> None:
    async def workflow(record: Record) -> None:
        async def branch() -> None:
            await asyncio.gather(record("inner-0"), record("inner-1"))

        await asyncio.gather(record("first"), branch())

    assert sorted(run_as_workflow(workflow)) == ["first=0", "inner-0=1.0", "inner-1=1.1"]


def test_tasks_created_while_pinned_stay_in_the_pinning_branch() -> None:
    async def workflow(record: Record) -> None:
        async def agent_step() -> None:
            token = branches.pin()
            try:
                await asyncio.gather(record("library-task"))
            finally:
                branches.unpin(token)
            await asyncio.gather(record("after"))

        await asyncio.gather(agent_step())

    assert sorted(run_as_workflow(workflow)) == ["after=0.0", "library-task=0"]


def test_code_outside_a_workflow_has_no_branch() -> None:
    async def plain() -> str:
        return branches.branch_path()

    assert asyncio.run(plain()) == ""
