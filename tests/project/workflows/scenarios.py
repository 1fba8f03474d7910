"""Workflows the engine tests drive through a real worker."""

from __future__ import annotations

from pydantic import BaseModel

from workflows.sdk import Context, define_workflow

from ..actions.effects import Effect, effect


class Script(BaseModel):
    marker: str
    slow_seconds: float = 0
    sleep_seconds: float = 0
    flag: str = ""


class Steps(BaseModel):
    marker: str
    count: int = 10
    seconds: float = 1.0


class Labels(BaseModel):
    labels: list[str]


class Approval(BaseModel):
    approved: bool
    note: str = ""


class Approved(BaseModel):
    approved: bool
    note: str
    labels: list[str]


async def three_steps(input: Script, ctx: Context) -> Labels:
    one = await effect.run(Effect(marker=input.marker, label="one"))
    two = await effect.run(
        Effect(
            marker=input.marker,
            label="two",
            seconds=input.slow_seconds,
            fail_unless_exists=input.flag,
        )
    )
    if input.sleep_seconds:
        await ctx.sleep(input.sleep_seconds)
    three = await effect.run(Effect(marker=input.marker, label="three"))
    return Labels(labels=[one.label, two.label, three.label])


async def approval(input: Script, ctx: Context) -> Approved:
    first = await effect.run(Effect(marker=input.marker, label="before"))
    decision = ctx.hook("approval", schema=Approval, timeout="1h")
    await effect.run(Effect(marker=input.marker, label=decision.resume_url))
    answer = await decision
    last = await effect.run(Effect(marker=input.marker, label="after"))
    return Approved(approved=answer.approved, note=answer.note, labels=[first.label, last.label])


async def slow_steps(input: Steps, ctx: Context) -> Labels:
    labels = []
    for n in range(input.count):
        done = await effect.run(Effect(marker=input.marker, label=f"s{n}", seconds=input.seconds))
        labels.append(done.label)
    return Labels(labels=labels)


slow_steps_workflow = define_workflow(slug="slow-steps", input=Steps, output=Labels, run=slow_steps)
three_steps_workflow = define_workflow(
    slug="three-steps", input=Script, output=Labels, run=three_steps
)
approval_workflow = define_workflow(slug="approval", input=Script, output=Approved, run=approval)
