"""Cron slots in a trigger's time zone: the latest at or before a moment and the next after it, with
daylight saving settled as people expect of cron.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from workflows.triggers.cron import check_cron, latest_slot, next_slot

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def slots(cron: str, zone: ZoneInfo, start: datetime, count: int) -> list[datetime]:
    found = [next_slot(cron, zone, start)]
    while len(found) < count:
        found.append(next_slot(cron, zone, found[-1]))
    return found


def test_an_hourly_job_fires_once_in_the_hour_that_happens_twice() -> None:
    # Berlin goes back at 03:00 CEST (01:00 UTC) on 25 October 2026: 02:00-02:59 happens twice.
    assert slots("0 * * * *", BERLIN, utc(2026, 10, 24, 22, 30), 4) == [
        utc(2026, 10, 24, 23),  # 01:00 CEST
        utc(2026, 10, 25, 0),  # 02:00 CEST, the first 02:00
        utc(2026, 10, 25, 2),  # 03:00 CET: the second 02:00 is not a slot
        utc(2026, 10, 25, 3),
    ]


def test_quarter_hours_in_the_repeated_hour_fire_only_the_first_time() -> None:
    after = slots("*/15 * * * *", BERLIN, utc(2026, 10, 24, 23, 59), 5)
    assert after == [
        utc(2026, 10, 25, 0, 0),
        utc(2026, 10, 25, 0, 15),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 0, 45),
        utc(2026, 10, 25, 2, 0),
    ]


def test_an_hourly_job_skips_nothing_but_the_missing_hour_when_clocks_go_forward() -> None:
    # New York jumps from 02:00 to 03:00 EDT on 8 March 2026: 02:00 fires at 03:00, once.
    assert slots("0 * * * *", NEW_YORK, utc(2026, 3, 8, 5, 30), 3) == [
        utc(2026, 3, 8, 6),  # 01:00 EST
        utc(2026, 3, 8, 7),  # 03:00 EDT, for both 02:00 and 03:00
        utc(2026, 3, 8, 8),  # 04:00 EDT
    ]


def test_the_latest_slot_of_a_skipped_time_is_the_end_of_the_gap() -> None:
    assert latest_slot("30 2 * * *", NEW_YORK, utc(2026, 3, 8, 12)) == utc(2026, 3, 8, 7)
    assert latest_slot("30 2 * * *", NEW_YORK, utc(2026, 3, 8, 6, 59)) == utc(2026, 3, 7, 7, 30)


def test_a_slot_is_its_own_latest_slot_and_not_its_own_next() -> None:
    slot = utc(2026, 6, 5, 7)  # Friday 09:00 CEST
    assert latest_slot("0 9 * * FRI", BERLIN, slot) == slot
    assert next_slot("0 9 * * FRI", BERLIN, slot) == utc(2026, 6, 12, 7)


def test_a_valid_expression_gives_back_its_zone() -> None:
    assert check_cron("define_schedule(slug='x')", "0 9 * * FRI", "Europe/Berlin") == BERLIN
    assert check_cron("define_poll(slug='y')", "@hourly", "UTC") == ZoneInfo("UTC")


CRONS = ["30 2 * * *", "0 * * * *", "*/15 * * * *", "0 9 * * FRI", "@daily", "45 1 1 * *"]
ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]
moments = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
)


@settings(max_examples=150, deadline=None)
@given(cron=st.sampled_from(CRONS), zone=st.sampled_from(ZONES), now=moments)
def test_no_slot_falls_between_the_latest_and_the_next(cron: str, zone: str, now: datetime) -> None:
    tz = ZoneInfo(zone)
    latest, upcoming = latest_slot(cron, tz, now), next_slot(cron, tz, now)
    assert latest <= now < upcoming
    assert next_slot(cron, tz, latest) == upcoming
    assert latest_slot(cron, tz, upcoming) == upcoming
    assert latest_slot(cron, tz, upcoming - timedelta(microseconds=1)) == latest
    for slot in (latest, upcoming):
        assert slot.tzinfo == UTC and slot.second == slot.microsecond == 0
