"""Realistic runs for demos and benchmarks, made without the engine (``manage.py seed_history``).

``Seeder`` yields batches of rows as tuples in the column order of ``COLUMNS``, so one generator
feeds both PostgreSQL COPY and ``bulk_create`` on SQLite. JSON columns hold JSON *text*, and
payloads come from pools rendered once, which keeps a million runs within minutes. Primary keys
are assigned here, after the largest existing ones. The same seed on the same database state
gives the same rows, apart from times, which count back from ``now``.
"""

from __future__ import annotations

import json
import random
from bisect import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from itertools import accumulate, count
from typing import Any

COLUMNS: dict[str, tuple[str, ...]] = {
    "run": (
        "id",
        "uid",
        "organization_id",
        "project_id",
        "kind",
        "slug",
        "status",
        "input",
        "output",
        "error",
        "actor",
        "trigger_type",
        "trigger_label",
        "trigger_id",
        "trigger_raw",
        "parent_id",
        "rerun_of_id",
        "attempt",
        "created_at",
        "queued_at",
        "started_at",
        "finished_at",
        "queue_ms",
        "duration_ms",
        "total_cost",
        "models_used",
        "services_used",
        "step_count",
        "message_count",
        "conversation",
        "lease_owner",
        "lease_expires_at",
        "enqueued_at",
        "wake_at",
        "deadline_at",
        "wakeups",
    ),
    "step": (
        "id",
        "run_id",
        "position",
        "step_id",
        "kind",
        "status",
        "input",
        "output",
        "error",
        "attempts",
        "started_at",
        "finished_at",
        "wake_at",
        "token",
        "child_run_id",
        "resumed_by",
        "cost",
    ),
    "usage": (
        "id",
        "run_id",
        "step_id",
        "kind",
        "provider",
        "model",
        "service",
        "tokens_in",
        "tokens_out",
        "quantity",
        "unit",
        "unit_price_in",
        "unit_price_out",
        "cost",
        "created_at",
    ),
    "span": (
        "id",
        "run_id",
        "trace_id",
        "span_id",
        "parent_span_id",
        "name",
        "kind",
        "status",
        "started_at",
        "ended_at",
        "attributes",
    ),
    "log": ("id", "run_id", "span_id", "created_at", "level", "logger", "message", "attributes"),
}
JSON_COLUMNS = {
    "run": {
        "input",
        "output",
        "error",
        "trigger_raw",
        "models_used",
        "services_used",
        "conversation",
    },
    "step": {"input", "output", "error", "attempts"},
    "usage": set(),
    "span": {"attributes"},
    "log": {"attributes"},
}
TABLES = tuple(COLUMNS)
DAYS = 30
VARIANTS = 64
DURATION_PRICE = 0.000000012  # dollars per ms of worker time
WORKERS = ("celery@worker-1", "celery@worker-2", "celery@worker-3")
USERS = ("alice", "bob", "priya", "marco", "chen", "fatima")
API_KEYS = ("key:ci", "key:backend", "key:zapier")
# provider, price per input token, per output token (dollars)
MODELS = {
    "openai:gpt-4o-mini": ("openai", 0.00000015, 0.0000006),
    "anthropic:claude-sonnet-4-5": ("anthropic", 0.000003, 0.000015),
    "anthropic:claude-haiku-4-5": ("anthropic", 0.000001, 0.000005),
}
SERVICES = {
    "clearbit": 0.01,
    "zendesk": 0.0,
    "pagerduty": 0.0,
    "stripe": 0.0,
    "postmark": 0.00125,
    "s3": 0.000005,
}
SCHEDULES = {
    "weekly-sales-summary": ("weekly", "0 9 * * FRI", "Europe/Berlin"),
    "invoice-reminder": ("daily", "0 8 * * *", "UTC"),
    "nightly-export": ("nightly", "0 2 * * *", "UTC"),
}


# -- the catalog: what the seeded organization runs ---------------------------------------------


@dataclass(frozen=True, eq=False)  # hashed by identity: cache keys, looked up per step
class Spec:
    """A step a target asks for: ``key`` names it (``step:<key>#<n>``), ``payload`` its data."""

    key: str
    kind: str = "action"
    share: float = 1.0  # of the run's duration, relative to its other steps
    service: str = ""
    model: str = ""
    payload: str = ""


@dataclass(frozen=True, eq=False)  # hashed by identity: cache keys, looked up per step
class Target:
    kind: str
    slug: str
    weight: float
    seconds: tuple[float, float]
    triggers: tuple[tuple[str, ...], tuple[float, ...]]
    prefix: tuple[Spec, ...]
    loop: tuple[Spec, ...] = ()
    loops: tuple[int, int] = (0, 0)
    suffix: tuple[Spec, ...] = ()
    failure_rate: float = 0.08
    active: tuple[str, ...] = ("running", "running", "sleeping")


def _triggers(**weights: float) -> tuple[tuple[str, ...], tuple[float, ...]]:
    return tuple(weights), tuple(accumulate(weights.values()))


def _llm(model: str, payload: str) -> Spec:
    return Spec("llm", "llm", 2.0, model.split(":")[0], model, payload)


RESEARCH = _llm("openai:gpt-4o-mini", "research-turn")
TRIAGE = _llm("anthropic:claude-sonnet-4-5", "triage-turn")
TARGETS = (
    Target(
        "workflow",
        "signup-pipeline",
        17,
        (0.8, 6),
        _triggers(webhook=70, api=20, ui=5, retry=5),
        (
            Spec("lookup-company", service="clearbit"),
            Spec("score-lead"),
            Spec("greeting", "workflow"),
            Spec("post-message", payload="post-brief"),
        ),
    ),
    Target(
        "workflow", "greeting", 6, (0.03, 0.4), _triggers(api=45, cli=30, ui=25), (Spec("greet"),)
    ),
    Target(
        "workflow",
        "support-escalation",
        12,
        (600, 172800),
        _triggers(api=40, ui=25, workflow_tool=30, retry=5),
        (
            Spec("create-ticket", service="zendesk"),
            Spec("resolution", "hook", 200),
            Spec("notify-oncall", service="pagerduty"),
        ),
        active=("waiting", "waiting", "running"),
    ),
    Target(
        "workflow",
        "weekly-sales-summary",
        3,
        (3, 20),
        _triggers(schedule=85, cli=10, ui=5),
        (Spec("sleep", "sleep", 4),),
        (Spec("fetch-region-sales"),),
        (4, 4),
        (
            _llm("anthropic:claude-haiku-4-5", "write-summary"),
            Spec("post-message", payload="post-summary"),
        ),
        active=("sleeping", "running"),
    ),
    Target(
        "workflow",
        "invoice-reminder",
        15,
        (1, 8),
        _triggers(schedule=80, api=15, retry=5),
        (Spec("list-overdue-invoices", service="stripe"),),
        (Spec("send-reminder-email", service="postmark"),),
        (1, 5),
        (Spec("update-crm"),),
    ),
    Target(
        "workflow",
        "nightly-export",
        10,
        (30, 600),
        _triggers(schedule=90, cli=10),
        (Spec("list-tables"),),
        (Spec("export-table", share=6),),
        (2, 6),
        (Spec("upload-manifest", service="s3"),),
    ),
    Target(
        "agent",
        "lead-researcher",
        8,
        (3, 45),
        _triggers(api=50, ui=30, cli=20),
        (RESEARCH,),
        (Spec("lookup-company", service="clearbit"), RESEARCH),
        (1, 3),
        failure_rate=0.1,
    ),
    Target(
        "agent",
        "support-triage",
        6,
        (4, 60),
        _triggers(poll=75, api=25),
        (TRIAGE,),
        (Spec("search-knowledge-base"), TRIAGE),
        (1, 3),
        failure_rate=0.1,
    ),
)
TARGET = {t.slug: t for t in TARGETS}


# -- payloads: pools of realistic inputs and outputs, rendered once ------------------------------


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
        f"people. Score 72."
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
        {
            "prompt": f"Summarise week {s.week} sales for the team in two sentences.",
            "regions": list(REGIONS),
        },
        {
            "text": f"Week {s.week} closed at {s.amount * 91:,} EUR, led by EMEA; APAC slipped on "
            f"two late deals."
        },
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
            f"LATAM, APAC).",
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
def conversation(slug: str, variant: int, turns: int, done: bool) -> tuple[str, int]:
    """An agent's messages after ``turns`` model calls: the user's, tool calls and results, the
    answer.
    """
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
    return dumps(messages) or "[]", len(messages)


@cache
def json_list(items: tuple[str, ...]) -> str:
    return dumps(sorted(set(items))) or "[]"


# -- errors --------------------------------------------------------------------------------------

CONNECTION = ("ConnectionError", "CRM timed out after 30s", True)
ERRORS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "lookup-company": (
        CONNECTION,
        ("HTTPStatusError", "Clearbit returned 429 Too Many Requests", True),
    ),
    "score-lead": (
        (
            "ValidationError",
            "1 validation error for Research\nscore\n  Input should be less than "
            "or equal to 100 [type=less_than_equal, input_value=140]",
            False,
        ),
    ),
    "post-brief": (
        ("SlackApiError", "The request to the Slack API failed: channel_not_found (#sales)", False),
    ),
    "post-summary": (("ConnectionError", "Slack timed out after 10s", True),),
    "greet": (("ValueError", "name must not be empty", False),),
    "create-ticket": (("HTTPStatusError", "Zendesk returned 503 Service Unavailable", True),),
    "notify-oncall": (
        ("HTTPStatusError", "PagerDuty returned 401 Unauthorized: check PAGERDUTY_TOKEN", False),
    ),
    "fetch-region-sales": (
        ("OperationalError", "canceling statement due to statement timeout", True),
    ),
    "write-summary": (("OverloadedError", "Error code: 529 - {'type': 'overloaded_error'}", True),),
    "list-overdue-invoices": (("RateLimitError", "Stripe: Request rate limit exceeded", True),),
    "send-reminder-email": (
        (
            "SMTPRecipientsRefused",
            "550 5.1.1 Recipient address rejected: mailbox unavailable",
            False,
        ),
    ),
    "update-crm": (CONNECTION,),
    "export-table": (
        ("StepTimeout", "ran longer than its timeout of 300s.", True),
        ("OperationalError", "could not serialize access due to concurrent update", True),
    ),
    "upload-manifest": (
        (
            "ClientError",
            "An error occurred (AccessDenied) when calling the PutObject operation: Access Denied",
            False,
        ),
    ),
    "search-knowledge-base": (
        ("ConnectionError", "Knowledge base search timed out after 5s", True),
    ),
    "list-tables": (
        (
            "OperationalError",
            'connection to server at "warehouse.internal" (10.0.3.12), port 5432 '
            "failed: timeout expired",
            True,
        ),
    ),
    "research-turn": (
        (
            "RateLimitError",
            "Error code: 429 - Rate limit reached for gpt-4o-mini on tokens per "
            "min (TPM): Limit 200000, Used 199342",
            True,
        ),
    ),
    "triage-turn": (("OverloadedError", "Error code: 529 - {'type': 'overloaded_error'}", True),),
}


def _traceback(key: str, kind: str, message: str) -> str:
    module = f"examples/actions/{key.split('-')[-1]}.py"
    return (
        "Traceback (most recent call last):\n"
        '  File "/app/workflows/engine/replay.py", line 410, in _attempt\n'
        "    output = req.target.execute(req.input, step_ctx)\n"
        f'  File "/app/{module}", line 42, in _{key.replace("-", "_")}\n'
        "    response.raise_for_status()\n"
        f"{kind}: {message}\n"
    )


@cache
def attempt_error(spec: Spec, step_id: str, choice: int) -> tuple[dict[str, Any], bool]:
    """One failed attempt of a step: its ``{type, message,
    traceback}`` and whether it is retried.
    """
    options = ERRORS.get(spec.payload or spec.key, (CONNECTION,))
    kind, message, retryable = options[choice % len(options)]
    message = f"{step_id} {message}" if kind == "StepTimeout" else message
    return {
        "type": kind,
        "message": message,
        "traceback": _traceback(spec.key, kind, message),
    }, retryable


@cache
def step_failure(
    spec: Spec, step_id: str, choice: int
) -> tuple[str, str, tuple[dict[str, Any], ...], str]:
    """How a step fails for good: its recorded error, the run's error, every attempt's error, a
    summary.
    """
    error, retryable = attempt_error(spec, step_id, choice)
    attempts = (error,) * (3 if retryable else 1)
    summary = f"{error['type']}: {error['message']}"
    if retryable:
        kind, message = "RetriesExhausted", f"{step_id} failed after 3 attempts: {summary}"
    else:
        kind, message = "StepFailed", f"{step_id} failed: {summary}"
    step_error = {"type": kind, "message": message, "step_id": step_id, "attempts": list(attempts)}
    run_error = {**step_error, "traceback": error["traceback"]}
    return dumps(step_error) or "", dumps(run_error) or "", attempts, f"{kind}: {message}"


# -- generation ----------------------------------------------------------------------------------

ATTEMPTED = ("action", "llm")
TERMINAL = ("success", "failed", "canceled")
OTEL_STATUS = {"success": "ok", "failed": "error"}
DAY = 86400.0
_MINUTES: dict[float, str] = {}


def stamp(moment: float) -> str:
    """Epoch seconds as ISO 8601 text, for COPY and JSON alike: twice as fast as
    datetime.isoformat().
    """
    minute = moment // 60
    second = moment - minute * 60
    prefix = _MINUTES.get(minute)
    if prefix is None:
        prefix = _MINUTES[minute] = datetime.fromtimestamp(minute * 60, UTC).strftime(
            "%Y-%m-%dT%H:%M:"
        )
    return f"{prefix}{second if second < 59.9999995 else 59.999999:09.6f}+00:00"


def money(value: float) -> str:
    return f"{value:.6f}"


def attempts_json(t0: float, t1: float, errors: tuple[dict[str, Any] | None, ...]) -> str:
    step = (t1 - t0) / len(errors)
    entries = [
        {
            "attempt": i + 1,
            "started_at": stamp(t0 + step * i),
            "finished_at": stamp(t0 + step * (i + 0.8)),
            "error": e,
        }
        for i, e in enumerate(errors)
    ]
    return dumps(entries) or "[]"


@cache
def span_attributes(step_id: str, spec: Spec) -> str:
    attributes: dict[str, Any] = {"keystroke.step_id": step_id, "keystroke.step_kind": spec.kind}
    if spec.model:
        attributes |= {
            "gen_ai.system": spec.model.split(":")[0],
            "gen_ai.request.model": spec.model.split(":")[1],
        }
    if spec.service:
        attributes["keystroke.service"] = spec.service
    return dumps(attributes) or "{}"


@cache
def plan(target: Target, loops: int, limit: int) -> tuple[tuple[Spec, str, int, float, float], ...]:
    """The steps a run asks for: spec, step id, its n, and start and
    length as fractions of the run.
    """
    specs = [*target.prefix, *(target.loop * loops), *target.suffix][:limit]
    total = sum(s.share for s in specs) or 1.0
    counts: dict[str, int] = {}
    steps, elapsed = [], 0.0
    for spec in specs:
        n = counts[spec.key] = counts.get(spec.key, -1) + 1
        steps.append((spec, f"step:{spec.key}#{n}", n, elapsed / total, 0.9 * spec.share / total))
        elapsed += spec.share
    return tuple(steps)


RESOLVED = dumps({"resolution": "Refunded the duplicate charge and apologised.", "refund": True})
HOOK_SCHEMA = "keystroke_project.workflows.support_escalation:Resolution"
RUN_END: dict[str, Callable[[Draft, int], tuple[str, str]]] = {
    "success": lambda d, ms: ("INFO", f"Run succeeded in {ms} ms"),
    "failed": lambda d, ms: ("ERROR", f"Run failed after {ms} ms: {d.summary}"),
    "canceled": lambda d, ms: ("WARNING", f"Run canceled by {d.actor} after {ms} ms"),
}


@dataclass(frozen=True)
class SeedOptions:
    organization_id: int
    project_id: int
    runs: int
    now: datetime
    first_ids: dict[str, int]
    steps_per_run: int = 8
    big_run_steps: int = 5000
    seed: int = 1
    batch_size: int = 5000


@dataclass
class Batch:
    rows: dict[str, list[tuple[Any, ...]]] = field(default_factory=lambda: {t: [] for t in TABLES})
    big_run: str = ""

    def __len__(self) -> int:
        return len(self.rows["run"])


@dataclass(slots=True)
class Draft:
    """One run while its rows are made; times are epoch seconds."""

    pk: int
    public_id: str
    target: Target
    status: str
    created: float
    variant: int
    trace_id: str
    root_span: str
    started: float | None = None
    finished: float | None = None
    actor: str = ""
    cost: float = 0.0
    models: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    error: str | None = None
    summary: str = ""
    wake_at: float | None = None
    child_pk: int | None = None
    steps: int = 0


class Seeder:
    def __init__(self, options: SeedOptions) -> None:
        self.o = options
        # The first run id is part of the seed, so seeding a database twice makes new uids.
        self.rng = random.Random(f"{options.seed}:{options.first_ids['run']}")
        ids = options.first_ids
        self.run_ids, self.step_ids, self.usage_ids = (
            count(ids["run"]),
            count(ids["step"]),
            count(ids["usage"]),
        )
        self.span_ids, self.log_ids = count(ids["span"]), count(ids["log"])
        self.now = options.now.timestamp()
        self.cum_weights = list(accumulate(t.weight for t in TARGETS))
        self.window = max(20, options.runs // 400)  # active runs are only among the newest
        self.last_of: dict[str, Draft] = {}
        self.last_failed: dict[str, Draft] = {}
        self.child_window = (self.now, self.now)
        self._new_batch()

    def batches(self) -> Iterator[Batch]:
        made = 0
        while made < self.o.runs:
            made += self._add_run(made)
            if len(self.batch) >= self.o.batch_size:
                yield self.batch
                self._new_batch()
        if self.o.big_run_steps:
            self._add_big_run()
        if len(self.batch):
            yield self.batch

    def _new_batch(self) -> None:
        self.batch = Batch()
        rows = self.batch.rows
        self.add_run, self.add_step, self.add_usage = (
            rows["run"].append,
            rows["step"].append,
            rows["usage"].append,
        )
        self.add_span, self.add_log = rows["span"].append, rows["log"].append

    def _hex(self, bits: int) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def _add_run(self, index: int) -> int:
        target = TARGETS[bisect(self.cum_weights, self.rng.random() * self.cum_weights[-1])]
        draft = self._draft(target, self._status(target, index), self._created_at(index))
        trigger = self._trigger(draft)
        steps = plan(target, self.rng.randint(*target.loops), self.o.steps_per_run)
        self._emit(draft, steps, trigger, can_spawn=index + 1 < self.o.runs)
        if draft.child_pk is None:
            return 1
        self._add_child(draft)
        return 2

    def _created_at(self, index: int) -> float:
        # Traffic grew over the month: the density rises linearly to three times the first day's.
        f = (index + self.rng.random()) / self.o.runs
        x = ((1 + 8 * f) ** 0.5 - 1) / 2
        return self.now - DAYS * DAY * (1 - x)

    def _status(self, target: Target, index: int) -> str:
        rank = self.o.runs - 1 - index
        if rank < self.window and self.rng.random() < 0.6 * (1 - rank / self.window):
            if rank < self.window * 0.15 and self.rng.random() < 0.5:
                return "queued"
            return self.rng.choice(target.active)
        r = self.rng.random() - target.failure_rate
        return "failed" if r < 0 else ("canceled" if r < 0.03 else "success")

    def _draft(self, target: Target, status: str, created: float, pk: int | None = None) -> Draft:
        # A version 4 UUID: random bits with the version and variant fields set.
        uid = (
            self.rng.getrandbits(128) & ~(0xF000 << 64) & ~(0xC000 << 48)
            | (0x4000 << 64)
            | (0x8000 << 48)
        )
        variant, trace_id, root_span = self.rng.randrange(VARIANTS), self._hex(128), self._hex(64)
        draft = Draft(
            pk or next(self.run_ids),
            f"run_{uid:032x}",
            target,
            status,
            created,
            variant,
            trace_id,
            root_span,
        )
        if status != "queued":
            draft.started = created + self.rng.expovariate(25)  # queue time, 40 ms on average
        if status in TERMINAL:
            lo, hi = target.seconds
            seconds = lo * (hi / lo) ** self.rng.random()
            draft.finished = draft.started + seconds * (
                1 if status == "success" else self.rng.uniform(0.1, 0.9)
            )
        self.last_of[target.slug] = draft
        return draft

    def _trigger(self, draft: Draft) -> tuple[Any, ...]:
        kinds, weights = draft.target.triggers
        kind = self.rng.choices(kinds, cum_weights=weights)[0]
        source = (
            self.last_failed.get(draft.target.slug)
            if kind == "retry"
            else self.last_of.get("support-triage")
        )
        if kind in ("retry", "workflow_tool") and source is None:
            kind = "api"
        return self._trigger_row(kind, draft, source)

    def _trigger_row(self, kind: str, draft: Draft, source: Draft | None) -> tuple[Any, ...]:
        """type, label, attachment id, raw value, actor, parent pk and rerun-of pk."""
        slug, user = draft.target.slug, self.rng.choice(USERS)
        if kind == "webhook":
            raw = (
                f'{{"endpoint": "signup", "idempotency_key": "evt_{self._hex(48)}", '
                f'"body_sha256": "{self._hex(256)}"}}'
            )
            return kind, "Webhook · signup", f"signup:{slug}", raw, "webhook:signup", None, None
        if kind == "schedule":
            name, cron, tz = SCHEDULES[slug]
            raw = f'{{"cron": "{cron}", "timezone": "{tz}", "slot": "{stamp(draft.created)}"}}'
            return kind, f"Schedule · {name}", f"{name}:{slug}", raw, f"schedule:{name}", None, None
        if kind == "poll":
            raw = f'{{"cursor": {{"after": "TCK-{self.rng.randrange(10000, 99999)}"}}, "items": 1}}'
            return kind, "Poll · tickets", f"tickets:{slug}", raw, "poll:tickets", None, None
        if kind in ("workflow", "workflow_tool") and source is not None:
            raw = f'{{"parent_run_id": "{source.public_id}", "step_id": "step:{slug}#0"}}'
            label = "Workflow" if kind == "workflow" else "Workflow tool"
            actor = source.actor or f"agent:{source.target.slug}"
            return kind, f"{label} · {source.target.slug}", "", raw, actor, source.pk, None
        if kind == "retry" and source is not None:
            return kind, "Retry", "", f'{{"rerun_of": "{source.public_id}"}}', user, None, source.pk
        if kind == "api":
            raw = (
                f'{{"method": "POST", "path": "/api/workflows/{slug}", '
                '"user_agent": "python-httpx/0.27.2"}'
            )
            return kind, "API", "", raw, self.rng.choice(API_KEYS), None, None
        if kind == "cli":
            raw = (
                f'{{"argv": ["keystroke", "workflows", "run", "{slug}"], "host": "{user}-laptop"}}'
            )
            return kind, "CLI", "", raw, user, None, None
        return kind, "UI", "", f'{{"path": "/history/?workflow={slug}"}}', user, None, None

    def _add_child(self, parent: Draft) -> None:
        """The greeting a signup pipeline started as its step ``step:greeting#0``, within that
        step's time.
        """
        created, ended = self.child_window
        draft = self._draft(TARGET["greeting"], "success", created, pk=parent.child_pk)
        draft.variant = parent.variant
        draft.finished = max(draft.started, ended)  # type: ignore[type-var]
        trigger = self._trigger_row("workflow", draft, parent)
        self._emit(draft, plan(draft.target, 0, self.o.steps_per_run), trigger, can_spawn=False)

    def _add_big_run(self) -> None:
        """One nightly export of ``big_run_steps`` steps, three hours ago, for the run detail
        benchmark.
        """
        draft = self._draft(TARGET["nightly-export"], "success", self.now - 3 * 3600)
        draft.finished = draft.created + 47 * 60
        steps = plan(draft.target, max(self.o.big_run_steps - 2, 0), self.o.big_run_steps)
        self._emit(draft, steps, self._trigger_row("schedule", draft, None), can_spawn=False)
        self.batch.big_run = draft.public_id

    # -- rows of one run -------------------------------------------------------------------------

    def _emit(
        self, draft: Draft, steps: tuple[Any, ...], trigger: tuple[Any, ...], can_spawn: bool
    ) -> None:
        draft.actor = trigger[4]
        recorded = self._cut(draft, steps)
        draft.steps = len(recorded)
        if recorded:
            self._steps(draft, recorded, can_spawn)
        times = [
            stamp(t) if t is not None else None
            for t in (draft.created, draft.started, draft.finished)
        ]
        created = times[0]
        assert created is not None  # every drafted run has a creation time
        self._run_row(draft, trigger, created, *times[1:])
        self._run_telemetry(draft, *times[1:])
        if draft.status == "failed":
            self.last_failed[draft.target.slug] = draft

    def _cut(self, draft: Draft, steps: tuple[Any, ...]) -> tuple[Any, ...]:
        """The steps recorded so far: all of a success, up to the
        failing or current one otherwise.
        """
        status = draft.status
        if status == "success" or status == "queued" or not steps:
            return steps if status == "success" else ()
        if status == "failed":
            failable = [i for i, step in enumerate(steps) if step[0].kind in ATTEMPTED]
            return steps[: self.rng.choice(failable or [0]) + 1]
        if status == "waiting":
            # every step up to the hook, and those the workflow started before awaiting it
            return steps
        if status == "sleeping":
            stop = next((i for i, step in enumerate(steps) if step[0].kind == "sleep"), 0)
            return steps[: stop + 1]  # at the sleep, or in the backoff of a first step that failed
        # running or canceled: the step in flight is not recorded
        return steps[: self.rng.randrange(len(steps))]

    def _steps(self, draft: Draft, recorded: tuple[Any, ...], can_spawn: bool) -> None:
        start = draft.started or self.now
        length, last = (draft.finished or self.now) - start, len(recorded) - 1
        model_span, agent = draft.root_span, draft.target.kind == "agent"
        for position, (spec, step_id, n, offset, share) in enumerate(recorded):
            t0 = start + length * offset
            t1 = t0 + length * share
            if spec.kind == "workflow" and can_spawn:
                draft.child_pk, self.child_window = next(self.run_ids), (t0, t1)
            # An agent's tool calls nest under the model call that asked for them.
            parent_span = model_span if agent and spec.kind != "llm" else draft.root_span
            span_id = self._step(
                draft, position, spec, step_id, n, t0, t1, position == last, parent_span
            )
            model_span = span_id if spec.kind == "llm" else model_span

    def _step(
        self, draft: Draft, position: int, spec: Spec, step_id: str, n: int, *where: Any
    ) -> str:
        t0, t1, last, parent_span = where
        pk, s0, s1 = next(self.step_ids), stamp(t0), stamp(t1)
        data_in, data_out = step_io(spec.payload or spec.key, draft.variant, n)
        status, error, token, wake_at, attempts = "success", None, "", None, "[]"
        if spec.kind in ATTEMPTED:
            attempts = (
                f'[{{"attempt": 1, "started_at": "{s0}", "finished_at": "{s1}", "error": null}}]'
            )
        if (
            last
            and draft.status in ("failed", "sleeping")
            or spec.kind == "action"
            and self.rng.random() < 0.03
        ):
            status, error, attempts, wake_at = self._step_trouble(
                draft, spec, step_id, t0, t1, last
            )
        if spec.kind == "sleep":
            wake_at = wake_at or s1
            data_in = f'{{"until": "{wake_at}"}}'
        elif spec.kind == "hook":
            status, token, data_in, data_out, wake_at = self._hook(draft, t0)
        done, ok = status == "success" or status == "failed", status == "success"
        cost = self._step_usage(draft, spec, pk, s1) if ok and (spec.model or spec.service) else 0.0
        self.add_step(
            (
                pk,
                draft.pk,
                position,
                step_id,
                spec.kind,
                status,
                data_in,
                data_out if ok else None,
                error,
                attempts,
                s0,
                s1 if done else None,
                wake_at,
                token,
                draft.child_pk if spec.kind == "workflow" else None,
                "priya" if token and ok else "",
                money(cost) if cost else "0",
            )
        )
        span_id = self._hex(64)
        self.add_span(
            (
                next(self.span_ids),
                draft.pk,
                draft.trace_id,
                span_id,
                parent_span,
                step_id,
                "client" if spec.model or spec.service else "internal",
                OTEL_STATUS.get(status, "unset"),
                s0,
                s1 if done else None,
                span_attributes(step_id, spec),
            )
        )
        return span_id

    def _step_trouble(
        self, draft: Draft, spec: Spec, step_id: str, t0: float, t1: float, last: bool
    ) -> Any:
        """A failed step, a step at a sleep or in retry backoff, or a success after a failed
        attempt.
        """
        if spec.kind == "sleep":
            draft.wake_at = self.now + self.rng.uniform(1, 90)
            return "sleeping", None, "[]", stamp(draft.wake_at)
        choice = self.rng.randrange(4)
        if last and draft.status == "failed":
            step_error, draft.error, errors, draft.summary = step_failure(spec, step_id, choice)
            return "failed", step_error, attempts_json(t0, t1, errors), None
        error, _ = attempt_error(spec, step_id, choice)
        message = f"{step_id} attempt 1 failed: {error['type']}: {error['message']}; retrying in 2s"
        self._log(draft, stamp((t0 + t1) / 2), "WARNING", f"keystroke.step.{spec.key}", message)
        if last and draft.status == "sleeping":
            draft.wake_at = self.now + self.rng.uniform(1, 30)
            return (
                "sleeping",
                dumps(error),
                attempts_json(t0, t0 + 0.2, (error,)),
                stamp(draft.wake_at),
            )
        return "success", None, attempts_json(t0, t1, (error, None)), None

    def _hook(self, draft: Draft, t0: float) -> tuple[str, str, str, str | None, str]:
        """A hook's status, token, input, output and timeout; it is resolved only in runs that
        succeeded.
        """
        token, timeout = self._hex(160), t0 + 7 * DAY
        data_in = (
            f'{{"name": "resolution", "schema": "{HOOK_SCHEMA}", "timeout": "7d", '
            f'"resume_url": "http://localhost:8000/hooks/{token}"}}'
        )
        if draft.status == "success":
            return "success", token, data_in, RESOLVED, stamp(timeout)
        if draft.status == "waiting":
            draft.wake_at = timeout
        return "waiting", token, data_in, None, stamp(timeout)

    def _step_usage(self, draft: Draft, spec: Spec, step_pk: int, at: str) -> float:
        """The line item of a model call or of a paid service call; returns its cost."""
        if spec.model:
            provider, price_in, price_out = MODELS[spec.model]
            tokens_in, tokens_out = self.rng.randrange(300, 3000), self.rng.randrange(40, 600)
            cost = tokens_in * price_in + tokens_out * price_out
            self.add_usage(
                (
                    next(self.usage_ids),
                    draft.pk,
                    step_pk,
                    "model",
                    provider,
                    spec.model,
                    "",
                    tokens_in,
                    tokens_out,
                    tokens_in + tokens_out,
                    "tokens",
                    f"{price_in:.12f}",
                    f"{price_out:.12f}",
                    money(cost),
                    at,
                )
            )
            draft.models += (spec.model,)
            draft.services += (provider,)
        else:
            cost = SERVICES[spec.service]
            draft.services += (spec.service,)
            if cost:
                self.add_usage(
                    (
                        next(self.usage_ids),
                        draft.pk,
                        step_pk,
                        "service",
                        "",
                        "",
                        spec.service,
                        0,
                        0,
                        1,
                        "calls",
                        f"{cost:.12f}",
                        "0",
                        money(cost),
                        at,
                    )
                )
        draft.cost += cost
        return cost

    def _log(self, draft: Draft, at: str, level: str, logger: str, message: str) -> None:
        self.add_log(
            (next(self.log_ids), draft.pk, draft.root_span, at, level, logger, message, "{}")
        )

    def _run_telemetry(self, draft: Draft, started: str | None, finished: str | None) -> None:
        """The run's root span, its duration line item and its log lines."""
        if started is None:
            return
        attributes = (
            f'{{"keystroke.run_id": "{draft.public_id}", "keystroke.slug": "{draft.target.slug}"}}'
        )
        self.add_span(
            (
                next(self.span_ids),
                draft.pk,
                draft.trace_id,
                draft.root_span,
                "",
                f"{draft.target.kind} {draft.target.slug}",
                "internal",
                OTEL_STATUS.get(draft.status, "unset"),
                started,
                finished,
                attributes,
            )
        )
        self._log(
            draft,
            started,
            "INFO",
            "keystroke.run",
            f"Run started (attempt 1) on {WORKERS[draft.pk % 3]}",
        )
        if finished is not None:
            ms = round((draft.finished - draft.started) * 1000)  # type: ignore[operator]
            self.add_usage(
                (
                    next(self.usage_ids),
                    draft.pk,
                    None,
                    "duration",
                    "",
                    "",
                    "",
                    0,
                    0,
                    ms,
                    "ms",
                    f"{DURATION_PRICE:.12f}",
                    "0",
                    money(ms * DURATION_PRICE),
                    finished,
                )
            )
            self._log(
                draft,
                finished,
                RUN_END[draft.status](draft, ms)[0],
                "keystroke.run",
                RUN_END[draft.status](draft, ms)[1],
            )
        elif draft.wake_at is not None:
            self._log(
                draft, started, "INFO", "keystroke.run", f"Suspended until {stamp(draft.wake_at)}"
            )

    def _run_row(
        self, draft: Draft, trigger: tuple[Any, ...], created: str, *times: str | None
    ) -> None:
        started, finished = times
        kind, label, trigger_id, raw, actor, parent, rerun_of = trigger
        target, status = draft.target, draft.status
        data_in, data_out = run_io(target.slug, draft.variant)
        queue_ms = round((draft.started - draft.created) * 1000) if draft.started else None
        duration_ms = round((draft.finished - draft.started) * 1000) if draft.finished else None  # type: ignore[operator]
        messages, message_count = "[]", 0
        if target.kind == "agent" and draft.started is not None:
            turns = draft.models.count(RESEARCH.model) + draft.models.count(TRIAGE.model)
            messages, message_count = conversation(
                target.slug, draft.variant, turns, status == "success"
            )
        lease = (WORKERS[draft.pk % 3], stamp(self.now + 30)) if status == "running" else ("", None)
        deadline = stamp(draft.created + 3600) if target.slug in SCHEDULES else None
        self.add_run(
            (
                draft.pk,
                draft.public_id[4:],
                self.o.organization_id,
                self.o.project_id,
                target.kind,
                target.slug,
                status,
                data_in,
                data_out if status == "success" else None,
                draft.error,
                actor,
                kind,
                label,
                trigger_id,
                raw,
                parent,
                rerun_of,
                1,
                created,
                created,
                started,
                finished,
                queue_ms,
                duration_ms,
                money(draft.cost + (duration_ms or 0) * DURATION_PRICE),
                json_list(draft.models),
                json_list(draft.services),
                draft.steps,
                message_count,
                messages,
                *lease,
                created,
                stamp(draft.wake_at) if draft.wake_at else None,
                deadline,
                0,
            )
        )
