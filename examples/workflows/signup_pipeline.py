from __future__ import annotations

from pydantic import BaseModel, EmailStr

from workflows.sdk import Context, define_workflow

from ..actions.crm import Lead, Post, lookup_company, post_message, score_lead
from .greeting import GreetingIn, greeting


class SignupIn(BaseModel):
    name: str
    email: EmailStr


class BriefOut(BaseModel):
    brief: str
    score: int
    welcome: str


async def run(input: SignupIn, ctx: Context) -> BriefOut:
    company = await lookup_company.run(Lead(name=input.name, email=input.email))
    research = await score_lead.run(company)
    # A child run: it appears in History linked to this one.
    welcome = await greeting.run(GreetingIn(name=input.name))
    brief = f"New signup {input.name} <{input.email}>: {research.summary} Score {research.score}."
    await post_message.run(Post(text=brief))
    return BriefOut(brief=brief, score=research.score, welcome=welcome.message)


signup_pipeline = define_workflow(
    slug="signup-pipeline",
    name="Signup pipeline",
    description="Research a signup lead, post a brief and welcome them.",
    input=SignupIn,
    output=BriefOut,
    run=run,
)
