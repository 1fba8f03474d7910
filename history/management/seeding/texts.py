"""Realistic payloads: the people, companies and weeks runs are about, and the inputs and outputs of
every step and run, rendered once per variant.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from .catalogue import TARGET


@dataclass(frozen=True)
class Subject:
    """The person, company and week one variant of the payloads is about."""

    name: str
    email: str
    company: str
    domain: str
    industry: str
    employees: int
    week: str
    ticket: str
    issue: str
    amount: int


FIRST = (
    "Ada",
    "Grace",
    "Alan",
    "Katherine",
    "Linus",
    "Margaret",
    "Edsger",
    "Barbara",
    "Dennis",
    "Frances",
)
LAST = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Johnson",
    "Torvalds",
    "Hamilton",
    "Dijkstra",
    "Liskov",
    "Ritchie",
    "Allen",
)
COMPANIES = (
    ("Northwind", "Logistics"),
    ("Contoso", "Software"),
    ("Globex", "Manufacturing"),
    ("Initech", "Fintech"),
    ("Umbrella Health", "Healthcare"),
    ("Hooli", "Consumer internet"),
    ("Vandelay", "Import/export"),
    ("Stark Analytics", "Data"),
)
ISSUES = (
    "Charged twice for the March invoice",
    "Cannot log in after SSO change",
    "Export stuck at 99%",
)
REGIONS = ("EMEA", "NA", "LATAM", "APAC")
EXPORTED = ("orders", "customers", "invoices", "events", "subscriptions", "refunds")


@cache
def subject(variant: int) -> Subject:
    rng = random.Random(variant)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    company, industry = rng.choice(COMPANIES)
    domain = company.lower().replace(" ", "") + ".com"
    return Subject(
        f"{first} {last}",
        f"{first.lower()}.{last.lower()}@{domain}",
        company,
        domain,
        industry,
        rng.randrange(12, 4800),
        f"2026-W{rng.randrange(1, 48):02d}",
        f"TCK-{rng.randrange(10000, 99999)}",
        rng.choice(ISSUES),
        rng.randrange(90, 12000),
    )


def _company(s: Subject) -> dict[str, Any]:
    return {"domain": s.domain, "name": s.company, "employees": s.employees, "industry": s.industry}


def _brief(s: Subject) -> str:
    return (
        f"New signup {s.name} <{s.email}>: {s.company} ({s.domain}), about {s.employees} "
        "people. Score 72."
    )


SUMMARY_MODEL = "anthropic:claude-haiku-4-5"


def _summary_prompt(s: Subject) -> str:
    return f"Summarise week {s.week} sales for the team in two sentences."


def _summary(s: Subject) -> str:
    return (
        f"Week {s.week} closed at {s.amount * 91:,} EUR, led by EMEA; APAC slipped on two late "
        "deals."
    )


Builder = Callable[[Subject, int], tuple[Any, Any]]
STEP_PAYLOADS: dict[str, Builder] = {
    "greet": lambda s, n: ({"name": s.name}, {"message": f"Hello, {s.name}!"}),
    "greeting": lambda s, n: ({"name": s.name}, {"message": f"Hello, {s.name}!"}),
    "lookup-company": lambda s, n: ({"name": s.name, "email": s.email}, _company(s)),
    "score-lead": lambda s, n: (
        _company(s),
        {"summary": _brief(s), "score": 20 + s.employees // 60},
    ),
    "post-brief": lambda s, n: (
        {"channel": "#sales", "text": _brief(s)},
        {"message_id": f"msg_{s.amount:012x}"},
    ),
    "post-summary": lambda s, n: (
        {
            "channel": "#sales-weekly",
            "text": f"Week {s.week}: {s.amount * 91:,} EUR from {s.amount // 40} deals.",
        },
        {"message_id": f"msg_{s.amount * 7:012x}"},
    ),
    "create-ticket": lambda s, n: (
        {"customer": s.email, "subject": s.issue},
        {
            "ticket_id": s.ticket,
            "url": f"https://support.example.com/tickets/{s.ticket}",
            "priority": "high",
        },
    ),
    "notify-oncall": lambda s, n: (
        {"ticket_id": s.ticket, "service": "support", "urgency": "high"},
        {"incident": f"PD-{s.amount * 3}", "paged": "priya", "acknowledged": False},
    ),
    "fetch-region-sales": lambda s, n: (
        {"region": REGIONS[n % 4], "week": s.week},
        {
            "region": REGIONS[n % 4],
            "revenue": s.amount * (17 + n),
            "deals": s.amount // 90 + n,
            "currency": "EUR",
        },
    ),
    "write-summary": lambda s, n: (
        {"prompt": _summary_prompt(s), "model": SUMMARY_MODEL},
        {
            "output": _summary(s),
            "text": _summary(s),
            "model": SUMMARY_MODEL,
            "conversation": [
                {"role": "user", "content": _summary_prompt(s)},
                {"role": "assistant", "content": _summary(s)},
            ],
        },
    ),
    "write-summary-call": lambda s, n: (
        {"model": SUMMARY_MODEL, "request": {"role": "user", "content": _summary_prompt(s)}},
        {"text": _summary(s), "tool_calls": []},
    ),
    "list-overdue-invoices": lambda s, n: (
        {"days_overdue": 14, "limit": 50},
        {
            "invoices": [
                {
                    "id": f"in_{s.amount + i:08d}",
                    "customer": s.email,
                    "amount_due": s.amount * (i + 1),
                    "currency": "eur",
                    "due": "2026-05-01",
                }
                for i in range(3)
            ]
        },
    ),
    "send-reminder-email": lambda s, n: (
        {"invoice_id": f"in_{s.amount + n:08d}", "to": s.email, "template": "overdue-14-days"},
        {"message_id": f"<{s.amount:x}.{n}@pm.mtasv.net>", "accepted": True},
    ),
    "update-crm": lambda s, n: (
        {"company": s.domain, "field": "dunning_stage", "value": "reminded"},
        {"ok": True},
    ),
    "list-tables": lambda s, n: (
        {"schema": "public", "since": "2026-05-01T00:00:00Z"},
        {"tables": list(EXPORTED)},
    ),
    "export-table": lambda s, n: (
        {"table": EXPORTED[n % 6], "chunk": n, "format": "parquet", "bucket": "acme-exports"},
        {
            "key": f"exports/{s.week}/{EXPORTED[n % 6]}-{n:05d}.parquet",
            "rows": s.amount * 9,
            "bytes": s.amount * 4113,
        },
    ),
    "upload-manifest": lambda s, n: (
        {"bucket": "acme-exports", "prefix": f"exports/{s.week}/"},
        {"key": f"exports/{s.week}/manifest.json", "etag": f'"{s.amount:032x}"'},
    ),
    "search-knowledge-base": lambda s, n: (
        {"query": s.issue, "top_k": 3},
        {
            "articles": [
                {
                    "id": f"kb-{s.amount % 97 + i}",
                    "title": f"{s.issue} (guide {i + 1})",
                    "score": 0.9 - i / 10,
                }
                for i in range(3)
            ]
        },
    ),
    "research-turn": lambda s, n: (
        {"model": "openai:gpt-4o-mini", "messages": 2 * n + 1, "tools": ["lookup-company"]},
        {
            "text": f"{s.company} looks like a fit: {s.employees} people in {s.industry}."
            if n
            else "",
            "tool_calls": []
            if n
            else [{"name": "lookup-company", "arguments": {"email": s.email}}],
        },
    ),
    "triage-turn": lambda s, n: (
        {
            "model": "anthropic:claude-sonnet-4-5",
            "messages": 2 * n + 1,
            "tools": ["search-knowledge-base"],
        },
        {
            "text": f"Billing issue for {s.ticket}; refund is within policy." if n else "",
            "tool_calls": []
            if n
            else [{"name": "search-knowledge-base", "arguments": {"query": s.issue}}],
        },
    ),
}
RUN_PAYLOADS: dict[str, Callable[[Subject], tuple[Any, Any]]] = {
    "greeting": lambda s: ({"name": s.name}, {"message": f"Hello, {s.name}!"}),
    "signup-pipeline": lambda s: (
        {"name": s.name, "email": s.email},
        {"brief": _brief(s), "score": 20 + s.employees // 60, "welcome": f"Hello, {s.name}!"},
    ),
    "support-escalation": lambda s: (
        {"customer": s.email, "subject": s.issue},
        {
            "ticket_id": s.ticket,
            "resolution": "Refunded the duplicate charge and apologised.",
            "refund": True,
        },
    ),
    "weekly-sales-summary": lambda s: (
        {"week": s.week, "settle_seconds": 2},
        {
            "week": s.week,
            "revenue": s.amount * 91,
            "deals": s.amount // 40,
            "text": f"Week {s.week}: {s.amount * 91:,} from {s.amount // 40} deals (EMEA, NA, "
            "LATAM, APAC).",
        },
    ),
    "invoice-reminder": lambda s: (
        {"days_overdue": 14, "dry_run": False},
        {"reminded": 3, "total_due": s.amount * 6, "currency": "eur", "skipped": []},
    ),
    "nightly-export": lambda s: (
        {
            "tables": "all",
            "since": "2026-05-01T00:00:00Z",
            "bucket": "acme-exports",
            "format": "parquet",
        },
        {"files": 6, "rows": s.amount * 54, "manifest": f"exports/{s.week}/manifest.json"},
    ),
    "lead-researcher": lambda s: (
        {"message": f"Research {s.email} and score the lead."},
        {
            "text": f"{s.company} ({s.industry}, {s.employees} people) is a good fit.",
            "output": {
                "company": s.company,
                "score": 20 + s.employees // 60,
                "next_step": "book a demo",
            },
        },
    ),
    "support-triage": lambda s: (
        {"message": f"Ticket {s.ticket} from {s.email}: {s.issue}"},
        {
            "text": "Billing issue; refund is within policy.",
            "output": {"category": "billing", "priority": "high", "escalate": False},
        },
    ),
}


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)


@cache
def step_io(payload: str, variant: int, n: int) -> tuple[str | None, str | None]:
    build = STEP_PAYLOADS.get(payload)
    if build is None:
        return None, None
    data_in, data_out = build(subject(variant), n)
    return dumps(data_in), dumps(data_out)


@cache
def run_io(slug: str, variant: int) -> tuple[str | None, str | None]:
    data_in, data_out = RUN_PAYLOADS[slug](subject(variant))
    return dumps(data_in), dumps(data_out)


@cache
def _messages(slug: str, variant: int, turns: int, done: bool) -> tuple[dict[str, Any], ...]:
    s, target = subject(variant), TARGET[slug]
    tool = target.loop[0].key
    messages: list[dict[str, Any]] = [
        {"role": "user", "content": RUN_PAYLOADS[slug](s)[0]["message"]}
    ]
    for n in range(turns - 1 if done else turns):
        args, result = STEP_PAYLOADS[tool](s, n)
        call = {"id": f"call_{variant:04x}{n:04x}", "name": tool, "arguments": args}
        messages += [
            {"role": "assistant", "content": "", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call["id"], "name": tool, "content": result},
        ]
    if done:
        messages.append({"role": "assistant", "content": RUN_PAYLOADS[slug](s)[1]["text"]})
    return tuple(messages)


@cache
def conversation(slug: str, variant: int, turns: int, done: bool) -> tuple[str, int]:
    """An agent's messages after ``turns`` model calls: the user's, tool calls and results, the
    answer; and how many there are.
    """
    messages = _messages(slug, variant, turns, done)
    return dumps(list(messages)) or "[]", len(messages)


@cache
def agent_io(slug: str, variant: int, turns: int) -> tuple[str | None, str | None]:
    """An agent step's input, and its output once it answered after ``turns`` model calls."""
    model = TARGET[slug].model
    asked, answered = RUN_PAYLOADS[slug](subject(variant))
    messages = list(_messages(slug, variant, turns, True))
    data_out = {**answered, "model": model, "conversation": messages}
    return dumps({"message": asked["message"], "model": model}), dumps(data_out)


@cache
def json_list(items: tuple[str, ...]) -> str:
    return dumps(sorted(set(items))) or "[]"


RESOLVED = dumps({"resolution": "Refunded the duplicate charge and apologised.", "refund": True})
HOOK_SCHEMA = "keystroke_project.workflows.support_escalation:Resolution"
