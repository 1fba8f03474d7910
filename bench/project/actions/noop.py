"""An action that does nothing, so the benchmark times only the engine around it."""

from __future__ import annotations

from pydantic import BaseModel

from workflows.sdk import define_action


class Tick(BaseModel):
    n: int


def _echo(input: Tick) -> Tick:
    return input


noop = define_action(slug="bench-noop", input=Tick, output=Tick, run=_echo, retries=0)
