from __future__ import annotations

from pydantic import BaseModel

from workflows.sdk import Context, define_workflow

from ..actions.greet import GreetIn, greet


class GreetingIn(BaseModel):
    name: str = "World"


class GreetingOut(BaseModel):
    message: str


async def run(input: GreetingIn, ctx: Context) -> GreetingOut:
    greeting = await greet.run(GreetIn(name=input.name))
    return GreetingOut(message=greeting.message)


greeting = define_workflow(
    slug="greeting",
    name="Greeting",
    description="Say hello to someone.",
    input=GreetingIn,
    output=GreetingOut,
    run=run,
)
