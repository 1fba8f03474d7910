"""Shared actions of the replay tests: each records its calls in CALLS, so a test sees which
steps ran again.
"""

from __future__ import annotations

import asyncio

from pydantic import BaseModel

from workflows.sdk import NonRetryableError, RetryPolicy, define_action

CALLS: list[str] = []


class Item(BaseModel):
    name: str


class Text(BaseModel):
    text: str


class Texts(BaseModel):
    texts: list[str]


def _upper(item: Item) -> Text:
    CALLS.append(f"upper:{item.name}")
    return Text(text=item.name.upper())


async def _reverse(item: Item) -> Text:
    await asyncio.sleep(0.01)
    CALLS.append(f"reverse:{item.name}")
    return Text(text=item.name[::-1])


ATTEMPTS: dict[str, int] = {}


def _flaky(item: Item) -> Text:
    ATTEMPTS[item.name] = ATTEMPTS.get(item.name, 0) + 1
    if item.name.startswith("fatal"):
        raise NonRetryableError("bad record")
    raise ValueError(f"boom {ATTEMPTS[item.name]}")


upper = define_action(slug="replay-upper", input=Item, output=Text, run=_upper)
reverse = define_action(slug="replay-reverse", input=Item, output=Text, run=_reverse)
flaky = define_action(
    slug="replay-flaky",
    input=Item,
    output=Text,
    run=_flaky,
    retries=RetryPolicy(max_attempts=3, initial_interval=5),
)

PLAIN_CODE_RUNS: list[str] = []
