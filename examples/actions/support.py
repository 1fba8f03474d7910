"""An offline ticket desk and notifier."""

from __future__ import annotations

from pydantic import BaseModel

from workflows.sdk import StepContext, define_action


class TicketIn(BaseModel):
    customer: str
    subject: str


class Ticket(BaseModel):
    ticket_id: str


class Notice(BaseModel):
    ticket_id: str
    resume_url: str


class Sent(BaseModel):
    sent: bool


def _create_ticket(input: TicketIn, ctx: StepContext) -> Ticket:
    return Ticket(ticket_id=f"T-{(ctx.idempotency_key or '0')[:6].upper()}")


def _notify_oncall(input: Notice, ctx: StepContext) -> Sent:
    ctx.logger.info("ticket %s needs a person: resolve it at %s", input.ticket_id, input.resume_url)
    return Sent(sent=True)


create_ticket = define_action(
    slug="create-ticket",
    description="Open a ticket.",
    input=TicketIn,
    output=Ticket,
    run=_create_ticket,
)
notify_oncall = define_action(
    slug="notify-oncall",
    description="Page the on-call person with a link.",
    input=Notice,
    output=Sent,
    run=_notify_oncall,
)
