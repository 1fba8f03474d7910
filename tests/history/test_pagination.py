"""The History list's page cursor: it round-trips the last run's place, refuses anything it did not
make with BadCursor, and pages through runs newest first without skipping or repeating one.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.test import Client
from hypothesis import given
from hypothesis import strategies as st

from history.models import Organization, Run
from history.pagination import BadCursor, decode_cursor, encode_cursor, page_after

from ..factories import make_run, member

MOMENT = datetime(2026, 3, 29, 1, 30, 15, 123456, tzinfo=UTC)


def cursor_of(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@given(
    when=st.datetimes(
        min_value=datetime(1971, 1, 1),
        max_value=datetime(9998, 12, 31),
        timezones=st.sampled_from(
            [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
        ),
    ),
    pk=st.integers(min_value=1, max_value=2**63 - 1),
)
def test_a_cursor_gives_back_the_instant_in_utc_and_the_id_it_was_made_from(
    when: datetime, pk: int
) -> None:
    cursor = encode_cursor(Run(pk=pk, created_at=when))
    assert decode_cursor(cursor) == (when, pk)
    assert decode_cursor(cursor)[0].tzinfo == UTC
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor  # safe in a query string


@pytest.mark.parametrize(
    "cursor",
    [
        "",
        "garbage!",
        "%%%%",
        "é",
        cursor_of("no separator"),
        cursor_of(f"{MOMENT.isoformat()}|1|2"),
        cursor_of(f"{MOMENT.isoformat()}|seven"),
        cursor_of("yesterday|7"),
        cursor_of(f"{MOMENT.replace(tzinfo=None).isoformat()}|7"),  # no zone: which instant?
        cursor_of("0001-01-01T00:00:00+05:00|1"),  # before year 1 in UTC
        base64.urlsafe_b64encode(b"\xff\xfe|1").decode(),
    ],
)
def test_anything_but_a_cursor_it_made_is_a_bad_cursor(cursor: str) -> None:
    with pytest.raises(BadCursor, match="The page cursor is malformed: use the links on the page."):
        decode_cursor(cursor)


@given(cursor=st.text(max_size=80))
def test_any_text_is_a_cursor_or_a_bad_cursor_never_another_error(cursor: str) -> None:
    try:
        when, pk = decode_cursor(cursor)
    except BadCursor:
        return
    assert when.tzinfo == UTC and isinstance(pk, int)


@given(cursor=st.binary(max_size=60).map(lambda raw: base64.urlsafe_b64encode(raw).decode()))
def test_any_base64_is_a_cursor_or_a_bad_cursor_never_another_error(cursor: str) -> None:
    try:
        decode_cursor(cursor)
    except BadCursor:
        pass


@pytest.mark.django_db
def test_pages_cover_every_run_once_newest_first_ties_broken_by_id(org: Organization) -> None:
    # Runs made in the same microsecond are ordered by id, so a page boundary between them holds.
    made = [make_run(org, created_at=MOMENT - timedelta(seconds=i // 3)) for i in range(11)]
    seen, cursor = [], None
    while True:
        page = page_after(Run.objects.recent_for_list(), cursor, size=4)
        seen += page.runs
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    expected = sorted(made, key=lambda run: (run.created_at, run.pk), reverse=True)
    assert [run.pk for run in seen] == [run.pk for run in expected]
    assert len(page.runs) == 3


@pytest.mark.django_db
def test_a_page_that_is_exactly_full_has_no_next_cursor(org: Organization) -> None:
    for _ in range(4):
        make_run(org)
    page = page_after(Run.objects.recent_for_list(), None, size=4)
    assert len(page.runs) == 4 and page.next_cursor is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    "cursor",
    [
        cursor_of("0001-01-01T00:00:00+05:00|1"),
        cursor_of(f"{MOMENT.isoformat()}|seven"),
        "not-a-cursor",
    ],
)
def test_the_history_list_answers_a_bad_cursor_with_400_and_the_reason(
    org: Organization, cursor: str
) -> None:
    make_run(org)
    browser: Client = member(org)
    response = browser.get(f"/history/?before={cursor}")
    assert response.status_code == 400
    assert "The page cursor is malformed" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw",
    [
        f"{MOMENT.isoformat()}|{10**30}",  # past the id column's range
        "9999-12-31T23:59:59+00:00|1",
        "0001-01-01T00:00:00-05:00|1",
    ],
)
def test_a_well_formed_cursor_with_extreme_values_still_answers_a_page(
    org: Organization, raw: str
) -> None:
    make_run(org, created_at=MOMENT - timedelta(days=1))
    response = member(org).get(f"/history/?before={cursor_of(raw)}")
    assert response.status_code == 200
