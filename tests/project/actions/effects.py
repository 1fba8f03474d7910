"""Actions whose side effects the tests count: each appends a line to a file."""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel

from workflows.sdk import define_action


class Effect(BaseModel):
    marker: str
    label: str
    seconds: float = 0
    fail_unless_exists: str = ""


class Done(BaseModel):
    label: str


def append(marker: str, line: str) -> None:
    with open(marker, "a") as f:
        f.write(line + "\n")


def _effect(input: Effect) -> Done:
    if input.seconds:
        append(input.marker, f"{input.label}:start")
        time.sleep(input.seconds)
    if input.fail_unless_exists and not Path(input.fail_unless_exists).exists():
        append(input.marker, f"{input.label}:failed")
        raise RuntimeError(f"{input.fail_unless_exists} does not exist yet")
    append(input.marker, input.label)
    return Done(label=input.label)


effect = define_action(slug="effect", input=Effect, output=Done, run=_effect, retries=0)
