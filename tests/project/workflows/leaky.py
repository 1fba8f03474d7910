"""A workflow that puts its hook's token everywhere it can (logs, a span, an error, its output), and
logs a secret.
"""

from __future__ import annotations

import enum
import logging

from opentelemetry import trace
from pydantic import BaseModel, Field

from workflows.sdk import Context, NonRetryableError, StepContext, define_action, define_workflow

CHAT_TOKEN = "chat-secret-0123456789"


class Leak(BaseModel):
    fail: bool = False


class Link(BaseModel):
    resume_url: str
    token: str
    fail: bool = False


class Urgency(enum.Enum):
    NORMAL = "normal"
    HIGH = "high"


class Answer(BaseModel):
    approved: bool
    team: str = "Ops Team"  # the hook page shows defaults as they are
    reviewers: list[str] = Field(default_factory=lambda: ["Ada"])
    urgency: Urgency = Urgency.NORMAL


class Leaked(BaseModel):
    resume_url: str
    token: str
    approved: bool


def _post_link(input: Link, ctx: StepContext) -> Link:
    ctx.logger.info("paste %s into the form, or open %s", input.token, input.resume_url)
    logging.getLogger("chat.client").warning(
        "posted %s to #support as Bearer %s", input.resume_url, CHAT_TOKEN
    )
    trace.get_current_span().set_attributes(
        {"chat.link": input.resume_url, "chat.code": input.token}
    )
    if input.fail:
        raise NonRetryableError(f"chat refused the link {input.resume_url} (code {input.token})")
    return input


post_link = define_action(slug="post-link", input=Link, output=Link, run=_post_link)


async def run(input: Leak, ctx: Context) -> Leaked:
    hook = ctx.hook("approval", schema=Answer, timeout="1h")
    ctx.logger.info("waiting on %s", hook.token)
    await post_link.run(Link(resume_url=hook.resume_url, token=hook.token, fail=input.fail))
    answer = await hook
    return Leaked(resume_url=hook.resume_url, token=hook.token, approved=answer.approved)


leaky_hook = define_workflow(slug="leaky-hook", input=Leak, output=Leaked, run=run)
