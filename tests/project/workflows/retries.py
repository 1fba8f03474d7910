"""Workflows the retry-from-a-step tests drive: a step that fails until its flag file exists,
after steps whose side effects are counted, in sequence and in concurrent branches."""

from __future__ import annotations

import asyncio

from pydantic import BaseModel, Field

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


checkout_workflow = define_workflow(slug="checkout", input=Order, output=Receipt, run=checkout)
fan_out_workflow = define_workflow(slug="fan-out", input=Order, output=Receipt, run=fan_out)
