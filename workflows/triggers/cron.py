"""Cron slots of schedules and polls, in the trigger's time zone (croniter does the parsing).

Slots are computed on wall-clock times and then placed in time, which settles daylight saving
the way people expect of cron: when clocks go back, a wall-clock time that occurs twice is
one slot (its first occurrence), so a job at 02:30 runs once that night; a time skipped when
clocks go forward fires when the gap ends (03:00 for a job at 02:30).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter

# More than any daylight-saving shift: how far around ``now`` wall-clock iteration starts.
_SHIFT = timedelta(hours=3)


def check_cron(what: str, cron: object, timezone: object) -> ZoneInfo:
    """The trigger's zone; ValueError naming the field when the expression or zone is not valid."""
    if (
        not isinstance(cron, str)
        or not (cron.startswith("@") or len(cron.split()) == 5)
        or not croniter.is_valid(cron)
    ):
        raise ValueError(
            f"{what}, cron={cron!r}: use five fields 'minute hour day month weekday' (names like "
            "FRI work) or an alias such as @daily or @hourly, e.g. '0 9 * * FRI'."
        )
    try:
        zone = ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"{what}, timezone={timezone!r}: use an IANA zone name such as 'Europe/Berlin' or "
            "'UTC'."
        ) from None
    try:
        next_slot(cron, zone, datetime.now(UTC))
    except CroniterBadDateError:
        raise ValueError(
            f"{what}, cron={cron!r}: this expression never matches a date, e.g. 30 February."
        ) from None
    return zone


def latest_slot(cron: str, zone: ZoneInfo, now: datetime) -> datetime:
    """The last slot at or before ``now``, in UTC."""
    return next(
        slot
        for slot in _slots(cron, zone, _wall(now, zone) + _SHIFT, backwards=True)
        if slot <= now
    )


def next_slot(cron: str, zone: ZoneInfo, now: datetime) -> datetime:
    """The first slot after ``now``, in UTC."""
    return next(
        slot
        for slot in _slots(cron, zone, _wall(now, zone) - _SHIFT, backwards=False)
        if slot > now
    )


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None, microsecond=0)


def _slots(cron: str, zone: ZoneInfo, start: datetime, backwards: bool) -> Iterator[datetime]:
    walls = croniter(cron, start)
    step = walls.get_prev if backwards else walls.get_next
    while True:
        yield _instant(step(datetime), zone)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """The moment a wall-clock time first happens in ``zone``; for one skipped by DST, the end of
    the gap.
    """
    moment = wall.replace(tzinfo=zone).astimezone(UTC)  # fold=0: the first occurrence
    while _wall(moment, zone) != wall:  # inside a gap: move to the first minute that exists
        wall += timedelta(minutes=1)
        moment = wall.replace(tzinfo=zone).astimezone(UTC)
    return moment
