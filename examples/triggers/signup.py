"""A signup form (or a CRM) posts each event here; signups start the signup pipeline.

    keystroke triggers url signup      # the URL with its ?token=, to paste into the sender
    curl -X POST "$URL" -H 'Content-Type: application/json' \\
         -d '{"type": "signup", "name": "Ada", "email": "ada@example.com"}'
"""

from __future__ import annotations

from pydantic import BaseModel, EmailStr

from workflows.sdk import define_webhook

from ..workflows.signup_pipeline import SignupIn, signup_pipeline


class SignupEvent(BaseModel):
    type: str
    name: str
    email: EmailStr


signup = define_webhook(
    slug="signup",
    endpoint="signup",
    payload=SignupEvent,
    filter=lambda event: (
        event.type == "signup"
    ),  # other event types answer {"ok": true, "skipped": true}
    description="Signup events from the website.",
)
signup_trigger = signup.attach(
    signup_pipeline, transform=lambda e: SignupIn(name=e.name, email=e.email)
)
