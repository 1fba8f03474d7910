"""Offline stand-ins for a CRM, a chat tool and a mailer: deterministic, no network."""

from __future__ import annotations

import hashlib

from pydantic import BaseModel, EmailStr

from workflows.sdk import StepContext, define_action


class Lead(BaseModel):
    name: str
    email: EmailStr


class Company(BaseModel):
    domain: str
    name: str
    employees: int


class Research(BaseModel):
    summary: str
    score: int


class Post(BaseModel):
    channel: str = "#sales"
    text: str


class Posted(BaseModel):
    message_id: str


class Email(BaseModel):
    to: EmailStr
    subject: str
    text: str


def _lookup_company(lead: Lead) -> Company:
    domain = lead.email.split("@", 1)[1]
    size = int(hashlib.sha256(domain.encode()).hexdigest()[:4], 16) % 5000 + 5
    return Company(domain=domain, name=domain.split(".")[0].title(), employees=size)


def _score_lead(company: Company) -> Research:
    score = min(100, 20 + company.employees // 60)
    return Research(
        summary=f"{company.name} ({company.domain}), about {company.employees} people.", score=score
    )


def _post_message(post: Post, ctx: StepContext) -> Posted:
    # A real integration passes ctx.idempotency_key so that a repeated step posts once.
    ctx.logger.info("posting to %s: %s", post.channel, post.text)
    return Posted(message_id=f"msg_{(ctx.idempotency_key or 'local')[:12]}")


def _send_email(email: Email, ctx: StepContext) -> Posted:
    # A real mailer takes ctx.idempotency_key as its message id, so a repeated step sends once.
    ctx.logger.info("emailing %s: %s", email.to, email.subject)
    return Posted(message_id=f"mail_{(ctx.idempotency_key or 'local')[:12]}")


lookup_company = define_action(
    slug="lookup-company",
    description="Find the company behind an email domain.",
    input=Lead,
    output=Company,
    run=_lookup_company,
    retries=3,
)
score_lead = define_action(
    slug="score-lead",
    description="Score a company as a sales lead.",
    input=Company,
    output=Research,
    run=_score_lead,
)
post_message = define_action(
    slug="post-message",
    description="Post a message to a chat channel.",
    input=Post,
    output=Posted,
    run=_post_message,
)
send_email = define_action(
    slug="send-email",
    description="Send an email.",
    input=Email,
    output=Posted,
    run=_send_email,
)
