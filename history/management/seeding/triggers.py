"""Who or what started a seeded run, as its trigger columns say."""

from __future__ import annotations

import random
from typing import NamedTuple

from .catalogue import API_KEYS, SCHEDULES, USERS
from .plans import Draft
from .rows import random_hex, stamp


class Trigger(NamedTuple):
    type: str
    label: str
    attachment: str  # the trigger_id column: the attachment that fired
    raw: str
    actor: str
    parent_pk: int | None
    rerun_of_pk: int | None


def trigger_of(rng: random.Random, kind: str, draft: Draft, source: Draft | None) -> Trigger:
    """How ``draft`` was started; ``source`` is the run that started or failed before it."""
    slug, user = draft.target.slug, rng.choice(USERS)
    if kind == "webhook":
        raw = (
            f'{{"endpoint": "signup", "idempotency_key": "evt_{random_hex(rng, 48)}", '
            f'"body_sha256": "{random_hex(rng, 256)}"}}'
        )
        return Trigger(
            kind, "Webhook · signup", f"signup:{slug}", raw, "webhook:signup", None, None
        )
    if kind == "schedule":
        name, cron, tz = SCHEDULES[slug]
        raw = f'{{"cron": "{cron}", "timezone": "{tz}", "slot": "{stamp(draft.created)}"}}'
        return Trigger(
            kind, f"Schedule · {name}", f"{name}:{slug}", raw, f"schedule:{name}", None, None
        )
    if kind == "poll":
        raw = f'{{"cursor": {{"after": "TCK-{rng.randrange(10000, 99999)}"}}, "items": 1}}'
        return Trigger(kind, "Poll · tickets", f"tickets:{slug}", raw, "poll:tickets", None, None)
    if kind in ("workflow", "workflow_tool") and source is not None:
        raw = f'{{"parent_run_id": "{source.public_id}", "step_id": "step:{slug}#0"}}'
        label = "Workflow" if kind == "workflow" else "Workflow tool"
        actor = source.actor or f"agent:{source.target.slug}"
        return Trigger(kind, f"{label} · {source.target.slug}", "", raw, actor, source.pk, None)
    if kind == "retry" and source is not None:
        return Trigger(
            kind, "Retry", "", f'{{"rerun_of": "{source.public_id}"}}', user, None, source.pk
        )
    if kind == "api":
        raw = (
            f'{{"method": "POST", "path": "/api/workflows/{slug}", '
            '"user_agent": "python-httpx/0.27.2"}'
        )
        return Trigger(kind, "API", "", raw, rng.choice(API_KEYS), None, None)
    if kind == "cli":
        raw = f'{{"argv": ["keystroke", "workflows", "run", "{slug}"], "host": "{user}-laptop"}}'
        return Trigger(kind, "CLI", "", raw, user, None, None)
    return Trigger(kind, "UI", "", f'{{"path": "/history/?workflow={slug}"}}', user, None, None)
