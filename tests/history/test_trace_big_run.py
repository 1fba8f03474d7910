"""The Trace tab of a 5,000-step run: a first page of rows, a fixed number of statements, and
a response well under 200 KB; the rest comes with Load more."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command

from history.models import Organization, Run
from history.timeline import PAGE_ROWS

from ..factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture
def big_run() -> Run:
    out = StringIO()
    call_command("seed_history", "--runs", "1", "--big-run-steps", "5000", stdout=out)
    big_id = re.search(r"Big run: (run_[0-9a-f]{32})", out.getvalue()).group(1)  # type: ignore[union-attr]
    return Run.objects.by_public_id(big_id).get()


def spans_shown(html: str) -> int:
    """Rows of recorded spans; a page adds the waits of its steps."""
    return html.count('<li class="span ') - html.count(' wait" data-kind=')


def test_the_trace_tab_of_a_5000_step_run_is_one_small_page(
    big_run: Run, django_assert_num_queries
) -> None:
    alice = member(Organization.objects.get(pk=big_run.organization_id), name="alice")
    url = f"/history/{big_run.public_id}/?tab=trace"
    alice.get(url)  # warms the session and the slug cache
    # session, user, membership, run, whether its workflow is paused; a page of logs; the pass
    # spans, a page of spans, the waits of the steps that started among them
    with django_assert_num_queries(8):
        response = alice.get(url)
    assert response.status_code == 200
    assert len(response.content) < 200_000, len(response.content)
    assert spans_shown(response.content.decode()) == PAGE_ROWS
    assert b"Load more" in response.content


def test_load_more_pages_through_the_whole_run(big_run: Run, django_assert_num_queries) -> None:
    alice = member(Organization.objects.get(pk=big_run.organization_id), name="alice")
    url = f"/history/{big_run.public_id}/trace/rows/"
    alice.get(url)
    # session, user, membership, run; pass spans, a page of spans, the waits of its steps
    with django_assert_num_queries(7):
        first = alice.get(url).content.decode()
    after = re.search(r"after=([^&\"]+)&amp;nest", first).group(1)  # type: ignore[union-attr]
    second = alice.get(f"{url}?after={after}").content.decode()
    assert spans_shown(second) == PAGE_ROWS
    assert set(re.findall(r'title="([^"]+)"', first)).isdisjoint(
        re.findall(r'title="(step:[^"]+)"', second)
    )
