"""A workflow with every kind of wait, for the Trace tab's worker test: a step retried after a
backoff, a sleep, a hook, and a child run."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import BaseModel

from workflows.retry import RetryPolicy
from workflows.sdk import Context, define_action, define_workflow

from ..actions.effects import Done, Effect, append
from .scenarios import Approval, Labels

log = logging.getLogger("investigated")


def _lookup(input: Effect) -> Done:
    log.info("looking up %s", input.label)
    logging.getLogger("kombu.connection").info("framework chatter")
    if input.fail_unless_exists and not Path(input.fail_unless_exists).exists():
        raise RuntimeError(f"{input.fail_unless_exists} does not exist yet")
    append(input.marker, input.label)
    return Done(label=input.label)


lookup = define_action(
    slug="lookup",
    input=Effect,
    output=Done,
    run=_lookup,
    retries=RetryPolicy(max_attempts=3, initial_interval=0.2, jitter=0),
)


class Plan(BaseModel):
    marker: str
    flag: str


async def child(input: Effect, ctx: Context) -> Done:
    return await lookup.run(input)


child_workflow = define_workflow(slug="investigated-child", input=Effect, output=Done, run=child)


async def investigated(input: Plan, ctx: Context) -> Labels:
    found = await lookup.run(
        Effect(marker=input.marker, label="company", fail_unless_exists=input.flag)
    )
    await ctx.sleep(0.2)
    answer = await ctx.hook("approval", schema=Approval, timeout="1h")
    welcome = await child_workflow.run(Effect(marker=input.marker, label="welcome"))
    return Labels(labels=[found.label, answer.note, welcome.label])


investigated_workflow = define_workflow(
    slug="investigated", input=Plan, output=Labels, run=investigated
)
