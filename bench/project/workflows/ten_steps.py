"""Benchmark workflows: ten no-op steps in sequence, and none at all for the fixed cost of a run.

BENCH_STEP_COMMITS=deferred or batched (the benchmarks' --step-commits) measures that step_commits.
"""

from __future__ import annotations

import os

from pydantic import BaseModel

from workflows.sdk import Context, define_workflow

from ..actions.noop import Tick, noop


class Empty(BaseModel):
    pass


class Count(BaseModel):
    steps: int


async def ten_steps(input: Empty, ctx: Context) -> Count:
    for n in range(10):
        await noop.run(Tick(n=n))
    return Count(steps=10)


async def zero_steps(input: Empty, ctx: Context) -> Count:
    return Count(steps=0)


STEP_COMMITS = os.environ.get("BENCH_STEP_COMMITS", "each")
ten_steps_workflow = define_workflow(
    slug="bench-ten-steps", input=Empty, output=Count, run=ten_steps, step_commits=STEP_COMMITS
)
zero_steps_workflow = define_workflow(
    slug="bench-zero-steps", input=Empty, output=Count, run=zero_steps, step_commits=STEP_COMMITS
)
