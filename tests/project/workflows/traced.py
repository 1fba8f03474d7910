"""A workflow whose step logs, including something that looks like a secret."""

from __future__ import annotations

import logging

from opentelemetry import trace
from pydantic import BaseModel

from workflows.sdk import Context, StepContext, define_action, define_workflow


class Call(BaseModel):
    url: str


class Called(BaseModel):
    status: int


def _call_crm(input: Call, ctx: StepContext) -> Called:
    ctx.logger.info("calling %s with Authorization: Bearer s3cr3t-token-abcdef", input.url)
    trace.get_current_span().set_attributes(
        {"crm.url": input.url, "crm.api_key": "hunter2-very-secret"}
    )
    logging.getLogger("crm.client").warning(
        "slow answer from %s (api_key=hunter2-very-secret)", input.url
    )
    return Called(status=200)


call_crm = define_action(slug="call-crm", input=Call, output=Called, run=_call_crm)


async def run(input: Call, ctx: Context) -> Called:
    ctx.logger.info("starting")
    await call_crm.run(input)
    return await call_crm.run(input)


traced = define_workflow(slug="traced", input=Call, output=Called, run=run)
