"""What the seeded organization runs: its workflows and agents, the steps each asks for, and who and
what starts them.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate

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


@dataclass(frozen=True, eq=False)  # hashed by identity: cache keys, looked up per step
class Spec:
    """A step a target asks for: ``key`` names it (``step:<key>#<n>``), ``payload`` its data."""

    key: str
    kind: str = "action"
    share: float = 1.0  # of the run's duration, relative to its other steps
    service: str = ""
    model: str = ""
    payload: str = ""
    children: tuple[Spec, ...] = ()  # the steps it runs inside it, as a prompt_llm step does


@dataclass(frozen=True, eq=False)  # hashed by identity: cache keys, looked up per step
class Target:
    """A workflow or agent; an agent's steps all run inside its agent step (``plans.plan``)."""

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
    model: str = ""  # an agent's


def _triggers(**weights: float) -> tuple[tuple[str, ...], tuple[float, ...]]:
    return tuple(weights), tuple(accumulate(weights.values()))


def _model_call(model: str, payload: str) -> Spec:
    """A model call, ``step:model#n``: a turn of an agent, or the call of a prompt_llm step."""
    return Spec("model", "model", 2.0, model=model, payload=payload)


def _prompt_llm(model: str, payload: str) -> Spec:
    """A prompt_llm step, ``step:llm#n``; its time is its model call's."""
    return Spec(
        "llm",
        "llm",
        0.0,
        model=model,
        payload=payload,
        children=(_model_call(model, f"{payload}-call"),),
    )


RESEARCH = _model_call("openai:gpt-4o-mini", "research-turn")
TRIAGE = _model_call("anthropic:claude-sonnet-4-5", "triage-turn")
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
            _prompt_llm("anthropic:claude-haiku-4-5", "write-summary"),
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
        model=RESEARCH.model,
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
        model=TRIAGE.model,
    ),
)
TARGET = {t.slug: t for t in TARGETS}
