"""Triggers the trigger tests fire: a webhook with two attachments, a DST schedule, a poll on a
list.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from workflows.sdk import define_poll, define_schedule, define_webhook

from ..workflows.scenarios import Script, approval_workflow, three_steps_workflow


class Order(BaseModel):
    kind: str
    marker: str


orders = define_webhook(
    slug="orders", endpoint="orders", payload=Order, filter=lambda o: o.kind != "ignored"
)
orders.attach(three_steps_workflow, transform=lambda o: Script(marker=o.marker))
orders.attach(approval_workflow, transform=lambda o: {"marker": o.marker, "flag": o.kind})

# Where the schedules' runs write their effects when a test's beat fires them: never the checkout.
NIGHTLY_MARKER = str(Path(tempfile.gettempdir()) / "keystroke-test-nightly")
FLAKY_MARKER = str(Path(tempfile.gettempdir()) / "keystroke-test-flaky")

nightly = define_schedule(
    slug="nightly", cron="30 2 * * *", timezone="Europe/Berlin", payload={"marker": NIGHTLY_MARKER}
).attach(three_steps_workflow)


class FeedCursor(BaseModel):
    seen: int = 0


# What the poll finds: tests append items, or set FAIL to make the next tick raise.
FEED: list[dict[str, Any]] = []
FAIL: list[str] = []


def read_feed(cursor: FeedCursor) -> tuple[list[dict[str, Any]], FeedCursor]:
    if FAIL:
        raise ConnectionError(FAIL[0])
    return FEED[cursor.seen :], FeedCursor(seen=len(FEED))


feed = define_poll(
    slug="feed",
    cron="*/5 * * * *",
    run=read_feed,
    state=FeedCursor,
    filter=lambda item: item.get("keep", True),
).attach(three_steps_workflow, transform=lambda item: Script(marker=item["marker"]))


# Set to make the flaky schedule's transform raise, as a project bug would.
BROKEN: list[str] = []


def _flaky(payload: dict[str, Any]) -> dict[str, Any]:
    if BROKEN:
        raise RuntimeError(BROKEN[0])
    return payload


flaky = define_schedule(slug="flaky", cron="*/5 * * * *", payload={"marker": FLAKY_MARKER}).attach(
    three_steps_workflow, transform=_flaky
)


class Push(BaseModel):
    ref: str


class SvixEvent(BaseModel):
    type: str
    marker: str


class StripeEvent(BaseModel):
    id: str
    type: str


# Webhooks their senders sign, each starting three-steps with a marker from the event.
github_pushes = define_webhook(
    slug="github-pushes", endpoint="github-pushes", payload=Push, verify="github"
)
github_pushes.attach(three_steps_workflow, transform=lambda p: Script(marker=p.ref))
svix_events = define_webhook(
    slug="svix-events", endpoint="svix-events", payload=SvixEvent, verify="standard-webhooks"
)
svix_events.attach(three_steps_workflow, transform=lambda e: Script(marker=e.marker))
stripe_events = define_webhook(
    slug="stripe-events", endpoint="stripe-events", payload=StripeEvent, verify="stripe"
)
stripe_events.attach(three_steps_workflow, transform=lambda e: Script(marker=e.id))
