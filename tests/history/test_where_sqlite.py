"""Payload search on SQLite, the embedded default: the same clauses, through JSON1."""

from __future__ import annotations

from typing import Any

import pytest

from history.models import Organization

from ..support import run_on_sqlite
from .test_where import CASES
from .where_table import answers

SCRIPT = """
import json
from urllib.parse import quote
from django.core.management import call_command
from django.http import QueryDict
from history.filters import RunFilter
from history.models import Organization, Run
from tests.history.test_where import CASES, make_payload_runs
call_command('migrate', verbosity=0)
org = Organization.objects.default()
names = {run.pk: name for name, run in make_payload_runs(org).items()}
names[Run.objects.create(organization=org, project=org.default_project(), slug='x',
    output={'resume': '/hooks/' + 'ab' * 20}).pk] = 'hook'

def found(query):
    runs = RunFilter(query, queryset=Run.objects.order_by('-created_at', '-id'))
    if not runs.is_valid():
        return dict(runs.errors)
    return sorted(names[pk] for pk in runs.qs.values_list('pk', flat=True))

print(json.dumps({
    'cases': [found(QueryDict('where=' + quote(c))) for c, _ in CASES],
    'anded': found(QueryDict('where=input.email~acme&where=output.score>=85')),
    'q': found(QueryDict('q=URGENT')),
    'masked': found(QueryDict('q=hooks/ab')),
    'bad': found(QueryDict('where=input.email')),
}))
"""


def test_the_same_clauses_work_on_sqlite(tmp_path: Any) -> None:
    result = run_on_sqlite(tmp_path, SCRIPT)
    for (clause, expected), got in zip(CASES, result["cases"], strict=True):
        assert got == sorted(expected), clause
    assert result["anded"] == ["ada"]
    assert result["q"] == ["ada"]
    assert result["masked"] == []  # no request: searched as a viewer, without hook tokens
    assert "no operator" in result["bad"]["where"][0]


@pytest.mark.django_db
def test_postgresql_and_sqlite_answer_the_clause_table_alike(
    tmp_path: Any, org: Organization
) -> None:
    on_postgresql = answers(org)
    on_sqlite = run_on_sqlite(
        tmp_path,
        "import json\nfrom django.core.management import call_command\n"
        "from history.models import Organization\nfrom tests.history.where_table import answers\n"
        "call_command('migrate', verbosity=0)\n"
        "print(json.dumps(answers(Organization.objects.default())))",
    )
    assert on_sqlite == on_postgresql
    assert on_postgresql["input.flag~true"] == ["flag"]
    assert on_postgresql["input.flag~FALSE"] == ["flagf"]
    assert on_postgresql["input.flag~1"] == []
    assert on_postgresql["input.name~ölaf"] == ["unicode"]
    assert on_postgresql["input.n=12345678901234567890"] == ["big"]
    assert on_postgresql["input.tags.-1>2"] == "refused"
