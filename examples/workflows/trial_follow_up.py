"""A trial's welcome and follow-up, changed while trials were under way (``ctx.patched``).

The first release posted each new trial to the sales channel, slept through the trial, and asked
sales to follow up. The next one welcomes the person by email instead. Trials asleep at that
deploy had already been posted: when they wake, their history has the post where the code now
asks ``ctx.patched("welcome-by-email")``, so it answers False and they replay the post (nobody
gets a welcome at the end of their trial). Trials started after the deploy get True, and a
marker step that keeps it True on every replay.

Once no run started before the change is left (History: the active statuses and
``created_before=`` the deploy), delete the ``else`` path and put
``ctx.deprecate_patch("welcome-by-email")`` in place of the ``if``; once no run with the marker
is left either, delete that call too.
"""

from __future__ import annotations

from pydantic import BaseModel, EmailStr, Field

from workflows.sdk import Context, define_workflow

from ..actions.crm import Email, Lead, Post, lookup_company, post_message, send_email


class TrialIn(BaseModel):
    name: str
    email: EmailStr
    trial_seconds: float = Field(3, ge=0, description="How long the trial lasts (days, in life).")


class TrialOut(BaseModel):
    welcomed_by: str
    follow_up: str


async def run(input: TrialIn, ctx: Context) -> TrialOut:
    if ctx.patched("welcome-by-email"):
        text = f"Hello {input.name}, your trial has started."
        await send_email.run(Email(to=input.email, subject="Welcome to your trial", text=text))
        welcomed_by = "email"
    else:
        await post_message.run(Post(text=f"New trial: {input.name} <{input.email}>"))
        welcomed_by = "channel"
    await ctx.sleep(input.trial_seconds)
    company = await lookup_company.run(Lead(name=input.name, email=input.email))
    follow_up = f"{input.name}'s trial at {company.name} ({company.employees} people) has ended."
    await post_message.run(Post(text=f"Follow up: {follow_up}"))
    return TrialOut(welcomed_by=welcomed_by, follow_up=follow_up)


trial_follow_up = define_workflow(
    slug="trial-follow-up",
    name="Trial follow-up",
    description="Welcome a new trial, sleep through it, then ask sales to follow up.",
    input=TrialIn,
    output=TrialOut,
    run=run,
)
