"""Workflows the retry tests drive: a step that fails until its flag file exists, after steps
whose side effects are counted, in sequence and in concurrent branches, and after a failure the
workflow catches and goes past."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, Field

from workflows.errors import StepFailed
from workflows.sdk import Context, define_workflow

from ..actions.effects import Effect, effect


class Order(BaseModel):
    marker: str
    quantity: int = Field(default=1, ge=1)
    flag: str = ""


class Receipt(BaseModel):
    labels: list[str]


async def checkout(input: Order, ctx: Context) -> Receipt:
    reserved = await effect.run(Effect(marker=input.marker, label="reserve"))
    charged = await effect.run(
        Effect(
            marker=input.marker, label=f"charge x{input.quantity}", fail_unless_exists=input.flag
        )
    )
    return Receipt(labels=[reserved.label, charged.label])


async def fan_out(input: Order, ctx: Context) -> Receipt:
    left, right = await asyncio.gather(
        effect.run(Effect(marker=input.marker, label="left")),
        effect.run(Effect(marker=input.marker, label="right")),
    )
    total = await effect.run(
        Effect(marker=input.marker, label=f"total x{input.quantity}", fail_unless_exists=input.flag)
    )
    return Receipt(labels=[left.label, right.label, total.label])


async def goes_past(input: Order, ctx: Context) -> Receipt:
    labels = []
    try:  # an optional step that always fails here; the workflow goes on without it
        await effect.run(
            Effect(marker=input.marker, label="optional", fail_unless_exists=input.marker + ".no")
        )
    except StepFailed:
        labels.append("went past optional")
    done = await effect.run(
        Effect(marker=input.marker, label="finish", fail_unless_exists=input.flag)
    )
    return Receipt(labels=[*labels, done.label])


checkout_workflow = define_workflow(slug="checkout", input=Order, output=Receipt, run=checkout)
fan_out_workflow = define_workflow(slug="fan-out", input=Order, output=Receipt, run=fan_out)
goes_past_workflow = define_workflow(slug="goes-past", input=Order, output=Receipt, run=goes_past)
