"""The whole request path of ``where``: generated clauses, JSON escapes too, never answer 500."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from history.models import Organization
from history.where import OPERATORS, ROOTS

from ..factories import make_run

pytestmark = pytest.mark.django_db

# \u escapes reach what a raw query string cannot: NUL, lone surrogates, any code point.
ESCAPE = st.integers(min_value=0, max_value=0xFFFF).map(lambda code: f"\\u{code:04x}")
QUOTED = st.lists(st.one_of(st.text(max_size=3), ESCAPE, st.sampled_from(['\\"', "\\\\"]))).map(
    lambda parts: '"' + "".join(parts) + '"'
)
KEY = st.one_of(
    st.text(min_size=1, max_size=6), st.sampled_from(["0", "-1", "+1", "01", "items", "a"])
)
VALUE = st.one_of(
    QUOTED,
    st.text(max_size=12),
    st.integers().map(str),
    st.floats().map(str),
    st.sampled_from(["true", "false", "null", "1e999", "9" * 30]),
)


@st.composite
def clause_texts(draw: st.DrawFn) -> str:
    path = ".".join([draw(st.sampled_from(ROOTS)), *draw(st.lists(KEY, min_size=1, max_size=3))])
    return path + draw(st.sampled_from(OPERATORS)) + draw(VALUE)


@pytest.fixture
def payload_run(org: Organization) -> None:
    make_run(org, input={"a": "x", "items": [{"sku": "A"}], "0": 1}, output={"n": 2})


# The fixtures run once for all examples: each example's request reads the same run.
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.one_of(clause_texts(), st.text(max_size=30)), min_size=1, max_size=3))
def test_any_where_answers_200_or_400_never_500(
    api: APIClient, payload_run: None, clauses: list[str]
) -> None:
    response = api.get("/api/runs", {"where": clauses})
    assert response.status_code in (200, 400), (clauses, response.content[:500])
