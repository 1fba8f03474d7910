"""Poll a support inbox every five minutes; each new urgent ticket starts an escalation.

The inbox is a JSON-lines file so the example runs offline: append a line and the next tick
(or `keystroke triggers invoke support-inbox`) picks it up:

    echo '{"customer": "ACME", "subject": "Checkout is down", "priority": "urgent"}' \\
        >> .keystroke/support-inbox.jsonl
"""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from pydantic import BaseModel

from workflows.sdk import define_poll

from ..workflows.support_escalation import EscalationIn, support_escalation


class InboxCursor(BaseModel):
    lines_read: int = 0


class InboxTicket(BaseModel):
    customer: str
    subject: str
    priority: str = "normal"


def fetch_new_tickets(cursor: InboxCursor) -> tuple[list[InboxTicket], InboxCursor]:
    inbox = Path(settings.KEYSTROKE_HOME) / "support-inbox.jsonl"
    lines = inbox.read_text().splitlines() if inbox.exists() else []
    new = [
        InboxTicket.model_validate(json.loads(line))
        for line in lines[cursor.lines_read :]
        if line.strip()
    ]
    return new, InboxCursor(lines_read=len(lines))


support_inbox = define_poll(
    slug="support-inbox",
    cron="*/5 * * * *",
    run=fetch_new_tickets,
    state=InboxCursor,
    filter=lambda ticket: ticket.priority == "urgent",
    description="Urgent tickets from the support inbox.",
).attach(
    support_escalation, transform=lambda t: EscalationIn(customer=t.customer, subject=t.subject)
)
