"""Schedules and polls: each slot once, DST, downtime, concurrent beats; poll cursors at least
once.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from history.models import Organization, Run, TriggerState
from workflows.registry import registry
from workflows.triggers import firing
from workflows.triggers.cron import check_cron, latest_slot, next_slot

# the schedule's static payload
NIGHTLY_MARKER = str(Path(tempfile.gettempdir()) / "keystroke-test-nightly")

pytestmark = pytest.mark.django_db(transaction=True)
BERLIN = ZoneInfo("Europe/Berlin")


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def feed() -> Iterator[list[dict[str, object]]]:
    from keystroke_project_2.triggers import fixtures  # the test project's second package name

    fixtures.FEED.clear()
    fixtures.FAIL.clear()
    yield fixtures.FEED
    fixtures.FEED.clear()
    fixtures.FAIL.clear()


def nightly_runs() -> list[Run]:
    return list(Run.objects.filter(trigger_id="nightly:three-steps").order_by("id"))


def test_cron_slots_follow_wall_clock_time_across_daylight_saving() -> None:
    # 02:30 in Berlin: the night clocks go back it happens twice and fires once (the first time)…
    assert next_slot("30 2 * * *", BERLIN, utc(2026, 10, 24, 12)) == utc(2026, 10, 25, 0, 30)
    assert next_slot("30 2 * * *", BERLIN, utc(2026, 10, 25, 0, 30)) == utc(2026, 10, 26, 1, 30)
    assert latest_slot("30 2 * * *", BERLIN, utc(2026, 10, 25, 1, 45)) == utc(2026, 10, 25, 0, 30)
    # …the night they go forward it does not exist and fires when the gap ends (03:00 CEST).
    assert next_slot("30 2 * * *", BERLIN, utc(2026, 3, 28, 12)) == utc(2026, 3, 29, 1, 0)
    # 09:00 stays 09:00 local: 08:00 UTC in winter, 07:00 UTC in summer.
    assert latest_slot("0 9 * * FRI", BERLIN, utc(2026, 3, 27, 9)) == utc(2026, 3, 27, 8)
    assert next_slot("0 9 * * FRI", BERLIN, utc(2026, 3, 27, 9)) == utc(2026, 4, 3, 7)
    assert next_slot("@daily", ZoneInfo("UTC"), utc(2026, 1, 1, 0, 0, 1)) == utc(2026, 1, 2)


@pytest.mark.parametrize(
    ("cron", "zone", "field"),
    [
        ("0 9 * *", "UTC", "cron"),
        ("61 * * * *", "UTC", "cron"),
        ("0 0 9 * * * *", "UTC", "cron"),
        ("0 0 30 2 *", "UTC", "cron"),
        ("0 9 * * FRI", "Mars/Olympus", "timezone"),
    ],
)
def test_a_bad_cron_or_zone_is_refused_naming_the_field(cron: str, zone: str, field: str) -> None:
    with pytest.raises(ValueError, match=f"{field}="):
        check_cron("define_schedule(slug='x')", cron, zone)


def test_a_schedule_fires_each_slot_once_across_the_night_clocks_go_back() -> None:
    nightly = registry.triggers["nightly"]
    assert firing.fire_schedule(nightly, utc(2026, 10, 24, 11, 50)) == [], (
        "first sight waits for the next slot"
    )
    # Every 10 minutes from Saturday noon to Monday noon, as a beat would tick.
    now = utc(2026, 10, 24, 12)
    while now < utc(2026, 10, 26, 12):
        firing.fire_schedule(nightly, now)
        now += timedelta(minutes=10)
    slots = [run.trigger_raw["slot"] for run in nightly_runs()]
    assert slots == ["2026-10-25T00:30:00+00:00", "2026-10-26T01:30:00+00:00"]
    run = nightly_runs()[0]
    assert (run.trigger_type, run.trigger_label, run.input) == (
        "schedule",
        "Schedule · nightly",
        {"marker": NIGHTLY_MARKER, "slow_seconds": 0, "sleep_seconds": 0, "flag": ""},
    )
    assert run.trigger_raw["timezone"] == "Europe/Berlin" and run.actor == "trigger:nightly"


def test_a_schedule_fires_once_the_night_clocks_go_forward() -> None:
    nightly = registry.triggers["nightly"]
    firing.fire_schedule(nightly, utc(2026, 3, 28, 12))
    for minutes in range(0, 24 * 60, 5):
        firing.fire_schedule(nightly, utc(2026, 3, 28, 12) + timedelta(minutes=minutes))
    assert [run.trigger_raw["slot"] for run in nightly_runs()] == ["2026-03-29T01:00:00+00:00"]


def test_slots_missed_while_down_fire_once_at_start_up() -> None:
    nightly = registry.triggers["nightly"]
    firing.fire_schedule(nightly, utc(2026, 11, 1, 12))
    # Down from Sunday to Thursday noon: four 02:30 slots passed; one run, for the latest.
    assert len(firing.fire_schedule(nightly, utc(2026, 11, 5, 12))) == 1
    assert firing.fire_schedule(nightly, utc(2026, 11, 5, 12, 0, 5)) == [], (
        "a restarted beat finds the slot taken"
    )
    assert [run.trigger_raw["slot"] for run in nightly_runs()] == ["2026-11-05T01:30:00+00:00"]


def test_two_beats_firing_the_same_slot_start_one_run() -> None:
    nightly = registry.triggers["nightly"]
    firing.fire_schedule(nightly, utc(2026, 11, 1, 12))
    barrier, results, errors = threading.Barrier(4), [], []

    def beat() -> None:
        try:
            barrier.wait()
            results.append(len(firing.fire_schedule(nightly, utc(2026, 11, 2, 1, 31))))
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=beat) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and sorted(results) == [0, 0, 0, 1]
    assert len(nightly_runs()) == 1


def test_a_disabled_schedule_lets_its_slots_pass_without_a_backlog() -> None:
    nightly = registry.triggers["nightly"]
    firing.fire_schedule(nightly, utc(2026, 11, 1, 12))
    TriggerState.objects.filter(key="nightly").update(enabled=False)
    assert firing.fire_schedule(nightly, utc(2026, 11, 2, 12)) == []
    TriggerState.objects.filter(key="nightly").update(enabled=True)
    assert firing.fire_schedule(nightly, utc(2026, 11, 2, 13)) == [], (
        "the slot passed while disabled"
    )
    assert len(firing.fire_schedule(nightly, utc(2026, 11, 3, 12))) == 1


def feed_runs() -> list[Run]:
    return list(Run.objects.filter(trigger_id="feed:three-steps").order_by("id"))


def cursor() -> object:
    return TriggerState.objects.get(organization=Organization.objects.default(), key="feed").cursor


def test_a_poll_starts_one_run_per_new_item_and_then_saves_its_cursor(
    feed: list[dict[str, object]],
) -> None:
    poll = registry.triggers["feed"]
    feed += [{"marker": "a"}, {"marker": "b", "keep": False}, {"marker": "c"}]
    runs = firing.run_poll(poll, utc(2026, 11, 2, 9, 1))
    assert [run.input["marker"] for run in runs] == ["a", "c"], "filtered items start no run"
    assert cursor() == {"seen": 3}
    assert runs[0].trigger_type == "poll" and runs[0].trigger_label == "Poll · feed"
    assert runs[0].trigger_raw["cursor"] is None and runs[1].trigger_raw["item"] == 2
    assert firing.run_poll(poll, utc(2026, 11, 2, 9, 3)) == [], "one tick per slot"
    feed.append({"marker": "d"})
    assert [run.input["marker"] for run in firing.run_poll(poll, utc(2026, 11, 2, 9, 5))] == ["d"]
    assert feed_runs()[-1].trigger_raw["cursor"] == {"seen": 3}


def test_a_crash_before_the_cursor_is_saved_repeats_the_items_instead_of_losing_them(
    feed: list[dict[str, object]],
) -> None:
    poll = registry.triggers["feed"]
    feed += [{"marker": "a"}, {"marker": "b"}]
    with mock.patch.object(firing, "save_cursor_txn", side_effect=SystemExit("worker killed")):
        with pytest.raises(SystemExit):
            firing.run_poll(poll, utc(2026, 11, 2, 9, 1))
    assert feed_runs() == [] and cursor() is None, (
        "the runs and the cursor are written together, the cursor last"
    )
    runs = firing.run_poll(poll, utc(2026, 11, 2, 9, 6))
    assert [run.input["marker"] for run in runs] == ["a", "b"] and cursor() == {"seen": 2}


def test_a_failing_poll_is_recorded_and_retried_next_tick_from_the_same_cursor(
    feed: list[dict[str, object]],
) -> None:
    from keystroke_project_2.triggers import fixtures

    poll = registry.triggers["feed"]
    feed.append({"marker": "a"})
    firing.run_poll(poll, utc(2026, 11, 2, 9, 1))
    feed.append({"marker": "b"})
    fixtures.FAIL.append("feed.example is down")
    assert firing.run_poll(poll, utc(2026, 11, 2, 9, 6)) == []
    row = TriggerState.objects.get(key="feed")
    assert row.cursor == {"seen": 1} and "ConnectionError: feed.example is down" in row.last_error
    fixtures.FAIL.clear()
    assert [run.input["marker"] for run in firing.run_poll(poll, utc(2026, 11, 2, 9, 11))] == ["b"]
    row.refresh_from_db()
    assert row.cursor == {"seen": 2} and row.last_error == ""


def test_a_bad_item_is_reported_and_skipped_without_blocking_the_others(
    feed: list[dict[str, object]],
) -> None:
    poll = registry.triggers["feed"]
    feed += [{"marker": "a"}, {"no_marker": True}, {"marker": "c"}]
    runs = firing.run_poll(poll, utc(2026, 11, 2, 9, 1))
    assert [run.input["marker"] for run in runs] == ["a", "c"]
    row = TriggerState.objects.get(key="feed")
    assert row.cursor == {"seen": 3} and "item 1" in row.last_error and "KeyError" in row.last_error


def test_the_beat_task_fires_a_due_schedule_once_and_a_poll_tick_runs_in_its_own_task(
    feed: list[dict[str, object]],
) -> None:
    from django.utils import timezone

    from workflows import tasks

    org = Organization.objects.default()
    # seen three days ago: one slot of each is due now
    for key in (
        "nightly",
        "weekly",
        "support-inbox",
    ):
        TriggerState.objects.update_or_create(
            organization=org, key=key, defaults={"last_slot": timezone.now() - timedelta(days=3)}
        )
    TriggerState.objects.update_or_create(
        organization=org, key="feed", defaults={"last_slot": timezone.now()}
    )  # not due
    # the broker is another test's business
    with mock.patch.object(tasks.poll_trigger, "delay") as queued:
        fired = tasks.fire_triggers()
    # a Friday in the last 3 days?
    weekly = Run.objects.filter(trigger_id="weekly:weekly-sales-summary").count()
    assert weekly <= 1 and fired == 1 + weekly
    assert [call.args for call in queued.call_args_list] == [("support-inbox",)]
    assert len(nightly_runs()) == 1
    assert tasks.fire_triggers() == 0, "the next beat finds the slots taken"
    feed.append({"marker": "x"})
    TriggerState.objects.filter(key="feed").update(last_slot=timezone.now() - timedelta(days=1))
    assert tasks.poll_trigger("feed") == 1 and tasks.poll_trigger("feed") == 0


def test_a_schedule_whose_payload_does_not_fit_is_refused_when_attached() -> None:
    from workflows.sdk import define_schedule

    schedule = define_schedule(slug="bad-payload", cron="@daily", payload={"slow_seconds": "soon"})
    try:
        with pytest.raises(ValueError, match="marker"):
            schedule.attach(registry.targets["three-steps"])
        assert schedule.attachments == []
    finally:
        del registry.triggers["bad-payload"]


def test_a_slot_whose_runs_cannot_start_is_recorded_and_stays_taken() -> None:
    from keystroke_project_2.triggers import fixtures

    flaky = registry.triggers["flaky"]
    firing.fire_schedule(flaky, utc(2026, 11, 2, 9, 1))
    fixtures.BROKEN.append("the CRM field map is wrong")
    try:
        assert firing.fire_schedule(flaky, utc(2026, 11, 2, 9, 6)) == []
    finally:
        fixtures.BROKEN.clear()
    row = TriggerState.objects.get(key="flaky")
    assert "RuntimeError: the CRM field map is wrong" in row.last_error
    assert row.last_slot == utc(2026, 11, 2, 9, 5), (
        "taken: the next beat does not retry it every 10 seconds"
    )
    assert firing.fire_schedule(flaky, utc(2026, 11, 2, 9, 8)) == []
    assert len(firing.fire_schedule(flaky, utc(2026, 11, 2, 9, 11))) == 1
    row.refresh_from_db()
    assert row.last_error == ""
