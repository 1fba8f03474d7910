"""The indexes behind payload search are used: EXPLAIN on PostgreSQL.

A few thousand rows are too few for the planner to prefer an index over reading the table, so
``SET LOCAL enable_seqscan = off`` takes the table scan away, and ``enable_indexscan = off`` the
keyset scan that reads rows until a page is full (right when many runs match). What is asserted
is that the filter's SQL is one an index can answer (its expression matches the index's), which
is what makes it fast at a million rows.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.http import QueryDict

from history.filters import RunFilter
from history.models import Organization, Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def many(org: Organization) -> None:
    project = org.default_project()
    Run.objects.bulk_create(
        Run(
            organization=org,
            project=project,
            slug="signup",
            input={"email": f"user{i}@acme.io", "plan": "pro" if i % 2 else "free"},
            output={"score": i % 100, "tags": ["a", f"t{i}"]},
        )
        for i in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE history_run")


def plan(org: Organization | None, query: str) -> str:
    params = QueryDict(query)
    runs = Run.objects.for_organization(org.pk) if org else Run.objects.all()
    runs = runs.order_by("-created_at", "-id")
    filtered: Any = RunFilter(params, queryset=runs).qs
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    return str(filtered[:51].explain())


def test_equals_is_answered_by_the_gin_index(org: Organization, many: None) -> None:
    assert "history_run_input_gin" in plan(org, "where=input.email=user7@acme.io")
    assert "history_run_output_gin" in plan(org, "where=output.tags=t77")
    assert "history_run_error_gin" in plan(org, "where=error.type=TimeoutError")


def test_q_is_answered_by_the_trigram_indexes(many: None) -> None:
    # Unscoped: at this size reading the organization's few thousand rows costs less than four
    # trigram scans, and with the organization's index gone the plan shows whether they apply.
    found = plan(None, "q=user77@")
    assert "history_run_input_trgm" in found and "history_run_output_trgm" in found, found
