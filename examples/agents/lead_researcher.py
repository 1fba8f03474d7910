"""An agent with tools and structured output. Offline (no OPENAI_API_KEY, or
KEYSTROKE_OFFLINE_MODELS=1) it runs on the deterministic test model, which calls every tool
once and answers with a schema-valid LeadScore."""

from __future__ import annotations

from pydantic import BaseModel, Field

from workflows.sdk import define_agent

from ..actions.crm import lookup_company, score_lead
from ..workflows.greeting import greeting


class LeadScore(BaseModel):
    company: str = Field(description="The company's name.")
    score: int = Field(ge=0, le=100, description="How promising the lead is, 0 to 100.")
    reason: str = Field(description="One sentence on why.")


lead_researcher = define_agent(
    slug="lead-researcher",
    name="Lead researcher",
    description="Research a B2B signup: find the company, score it, draft a welcome.",
    model="openai:gpt-4o-mini",
    system_prompt=(
        "You research B2B leads. Look up the company behind the email, score it as a sales lead, "
        "and draft a welcome with the greeting workflow. Answer with the company, the score and "
        "one sentence why."
    ),
    tools=[lookup_company, score_lead, greeting],
    output=LeadScore,
)
