"""Times and durations as History shows them: seconds (milliseconds in steps), UTC on hover and
in the markup for the browser to show in its own time zone; durations as 340 ms or 2.02 s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client

from history.models import Organization, Step, UsageItem
from history.models.accounts import Role
from history.templatetags.history_tags import duration, moment

from ..factories import make_run, member

pytestmark = pytest.mark.django_db

QUEUED = datetime(2026, 12, 1, 9, 9, 7, 250000, tzinfo=UTC)


def test_a_time_shows_its_seconds_in_utc_and_keeps_the_iso_value_for_the_browser() -> None:
    assert moment(QUEUED) == (
        '<time datetime="2026-12-01T09:09:07+00:00" title="2026-12-01T09:09:07+00:00" '
        'data-precision="s">2026-12-01 09:09:07 UTC</time>'
    )
    assert "09:09:07.250 UTC" in moment(QUEUED, "ms")
    assert moment(None) == "—"


@pytest.mark.parametrize(
    ("ms", "shown"),
    [(340, "340 ms"), (2020, "2.02 s"), (14_500, "14.5 s"), (200_000, "3m 20s"), (None, "—")],
)
def test_durations_read_as_people_write_them(ms: int | None, shown: str) -> None:
    assert duration(ms) == shown


def test_metadata_shows_every_time_with_seconds_and_the_queue_time_once_started(
    org: Organization,
) -> None:
    run = make_run(
        org,
        status="running",
        created_at=QUEUED,
        queued_at=QUEUED,
        started_at=QUEUED + timedelta(milliseconds=340),
    )
    page = member(org, Role.VIEWER).get(run.get_absolute_url(), {"tab": "metadata"})
    text = page.content.decode()
    assert "2026-12-01 09:09:07 UTC" in text and "a.m." not in text
    assert "<dt>Queue time</dt><dd>340 ms</dd>" in text


def test_a_sleeping_step_shows_its_wake_up_to_the_millisecond(org: Organization) -> None:
    run = make_run(org, status="sleeping")
    Step.objects.create(
        run=run,
        position=0,
        step_id="step:sleep#0",
        kind="sleep",
        status="sleeping",
        wake_at=QUEUED,
    )
    page = member(org, Role.VIEWER).get(run.get_absolute_url(), {"tab": "steps"})
    assert 'data-precision="ms">2026-12-01 09:09:07.250 UTC</time>' in page.content.decode()


def test_the_usage_table_shows_the_duration_once_and_each_model_call_with_its_provider(
    org: Organization,
) -> None:
    run = make_run(
        org, status="success", queued_at=QUEUED, started_at=QUEUED, duration_ms=2020, queue_ms=0
    )
    UsageItem.objects.create(run=run, kind="duration", quantity=2020, unit="ms")
    UsageItem.objects.create(
        run=run, kind="model", provider="openai", model="gpt-4o-mini", tokens_in=89, tokens_out=18
    )
    UsageItem.objects.create(run=run, kind="model", model="test", tokens_in=5, tokens_out=2)
    page = member(org, Role.VIEWER).get(run.get_absolute_url()).content.decode()
    usage = page[page.index('<section class="usage">') :]
    assert usage.count("2.02 s") == 1 and "2020.000000" not in usage
    assert "openai:gpt-4o-mini · 89 in / 18 out" in usage
    assert "test (offline) · 5 in / 2 out" in usage and ":test" not in usage


def test_error_pages_keep_the_apps_layout(org: Organization) -> None:
    viewer = member(org, Role.VIEWER)
    missing = viewer.get("/history/run_00000000000000000000000000000000/")
    assert missing.status_code == 404
    assert 'class="sidebar"' in missing.content.decode() and "Not found" in missing.content.decode()
    bad = viewer.get(make_run(org).get_absolute_url(), {"tab": "bogus"})
    assert bad.status_code == 400 and 'class="sidebar"' in bad.content.decode()
    outsider = Client()
    outsider.force_login(User.objects.create_user("outsider", password="pw-12345678"))
    denied = outsider.get("/history/")
    assert denied.status_code == 403 and "Not allowed" in denied.content.decode()
