"""One table of payloads and clauses that PostgreSQL and SQLite must answer alike."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import QueryDict

from history.filters import RunFilter
from history.models import Organization, Run

PAYLOADS: dict[str, Any] = {
    "num80": {"score": 80},
    "real80": {"score": 80.0},
    "str80": {"score": "80"},
    "arr": {"tags": ["a", "B", 3], "items": [{"sku": "x1"}, {"sku": "y2"}]},
    "flag": {"flag": True},
    "flagf": {"flag": False},
    "nul": {"x": None},
    "obj": {"m": {"0": "zero", "k": "v"}},
    "nested": {"a": [[1, 2], [3]]},
    "unicode": {"name": "Ölaf ÉCOLE"},
    "pct": {"t": "50%_off\\x"},
    "big": {"n": 12345678901234567890},
    "deep": {"a": {"b": {"c": 1}}},
    "minus": {"m": {"-1": 3}},
    "longs": {"s": "b"},
    "uppers": {"s": "B"},
}
CLAUSES = [
    "input.score=80",
    "input.score>=80",
    "input.score~80",
    'input.score="80"',
    'input.score>"7"',
    "input.tags=a",
    "input.tags=b",
    "input.tags~b",
    "input.tags=3",
    "input.tags.0=a",
    "input.tags.1=B",
    "input.tags.5=a",
    "input.items.0.sku=x1",
    "input.items.1.sku=x1",
    "input.flag=true",
    "input.flag~true",
    "input.flag~FALSE",
    "input.flag~1",
    "input.flag!=true",
    "input.x=null",
    "input.x!=null",
    "input.missing!=1",
    "input.m.0=zero",
    "input.m.k=v",
    "input.m~zero",
    "input.a.0=1",
    "input.a=1",
    "input.name~ölaf",
    "input.name~école",
    "input.name~ÖLAF É",
    "input.t~%_off",
    "input.t~\\x",
    "input.n=12345678901234567890",
    "input.n>1",
    "input.s>a",
    "input.s<a",
    "input.s>=B",
    "input.tags.-1=3",
    "input.tags.-1>2",
    "input.m.+1=3",
]


def answers(org: Organization) -> dict[str, Any]:
    """Each clause's matching payload names, or "refused"."""
    names = {}
    for name, payload in PAYLOADS.items():
        run = Run.objects.create(
            organization=org, project=org.default_project(), slug=name, input=payload
        )
        names[run.pk] = name
    found: dict[str, Any] = {}
    for clause in CLAUSES:
        runs = RunFilter(QueryDict("where=" + quote(clause)), queryset=Run.objects.all())
        found[clause] = (
            sorted(names[pk] for pk in runs.qs.values_list("pk", flat=True))
            if runs.is_valid()
            else "refused"
        )
    return found
