from __future__ import annotations

from pydantic import BaseModel

from workflows.sdk import define_action


class GreetIn(BaseModel):
    name: str


class GreetOut(BaseModel):
    message: str


def make_greeting(input: GreetIn) -> GreetOut:
    return GreetOut(message=f"Hello, {input.name}!")


greet = define_action(
    slug="greet",
    name="Greet",
    description="Compose a greeting.",
    input=GreetIn,
    output=GreetOut,
    run=make_greeting,
)
