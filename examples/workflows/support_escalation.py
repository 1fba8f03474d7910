from __future__ import annotations

from pydantic import BaseModel

from workflows.sdk import Context, HookTimeout, define_workflow

from ..actions.support import Notice, TicketIn, create_ticket, notify_oncall


class EscalationIn(BaseModel):
    customer: str
    subject: str


class Resolution(BaseModel):
    resolution: str
    refund: bool = False


class EscalationOut(BaseModel):
    ticket_id: str
    resolution: str
    refund: bool


async def run(input: EscalationIn, ctx: Context) -> EscalationOut:
    ticket = await create_ticket.run(TicketIn(customer=input.customer, subject=input.subject))
    # The URL exists before the wait, and stays the same if the run is replayed.
    decision = ctx.hook("resolution", schema=Resolution, timeout="7d")
    await notify_oncall.run(Notice(ticket_id=ticket.ticket_id, resume_url=decision.resume_url))
    try:
        resolved = await decision
    except HookTimeout:
        return EscalationOut(
            ticket_id=ticket.ticket_id,
            resolution="expired: nobody answered in 7 days",
            refund=False,
        )
    return EscalationOut(
        ticket_id=ticket.ticket_id, resolution=resolved.resolution, refund=resolved.refund
    )


support_escalation = define_workflow(
    slug="support-escalation",
    name="Support escalation",
    description="Open a ticket, page on-call, and wait for a person to resolve it.",
    input=EscalationIn,
    output=EscalationOut,
    run=run,
)
