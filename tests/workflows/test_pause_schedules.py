"""A schedule's slots while its target is paused: on_pause="queue" starts a held run, "skip"
lets the slot pass and records it on the trigger; real PostgreSQL, the firing code driven
directly.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from history.models import Organization, Run, TriggerState
from workflows import store
from workflows.registry import Registry
from workflows.sdk import define_schedule
from workflows.triggers import firing
from workflows.triggers.definitions import Schedule

pytestmark = pytest.mark.django_db


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def hourly(scratch_registry: Registry, slug: str, **attach: str) -> Schedule:
    schedule = define_schedule(slug=slug, cron="0 * * * *")
    schedule.attach(scratch_registry.workflow("greeting"), **attach)
    firing.fire_schedule(schedule, utc(2026, 12, 1, 9, 30))  # first sight: the next slot fires
    return schedule


def test_a_queue_schedule_starts_a_run_that_waits_for_the_resume(
    scratch_registry: Registry, org: Organization
) -> None:
    schedule = hourly(scratch_registry, "hourly")  # on_pause="queue" is the default
    store.pause_txn(org.pk, "greeting", "alice", "")
    [run] = firing.fire_schedule(schedule, utc(2026, 12, 1, 10, 0, 5))
    assert (run.status, run.trigger_id) == ("queued", "hourly:greeting")
    assert store.claim_run(run.pk, "worker-1") is None, "held while paused"
    store.unpause_txn(org.pk, "greeting")
    assert store.claim_run(run.pk, "worker-1") is not None


def test_a_skip_schedule_lets_its_slots_pass_while_paused_and_says_so(
    scratch_registry: Registry, org: Organization, api: APIClient
) -> None:
    schedule = hourly(scratch_registry, "hourly-skip", on_pause="skip")
    store.pause_txn(org.pk, "greeting", "alice", "")
    assert firing.fire_schedule(schedule, utc(2026, 12, 1, 10, 0, 5)) == []
    assert not Run.objects.exists()
    row = TriggerState.objects.get(organization=org, key="hourly-skip:greeting")
    assert row.last_skipped_slot == utc(2026, 12, 1, 10)
    assert "greeting is paused" in row.last_skip_reason
    shown = api.get("/api/triggers/hourly-skip:greeting").json()
    assert shown["last_skipped_slot"] == "2026-12-01T10:00:00Z"
    assert "on_pause='skip'" in shown["last_skip_reason"]

    store.unpause_txn(org.pk, "greeting")
    [run] = firing.fire_schedule(schedule, utc(2026, 12, 1, 11, 0, 5))
    assert run.trigger_raw["slot"] == "2026-12-01T11:00:00+00:00", "the next slot fires again"


def test_a_skip_schedule_of_an_active_target_fires_as_usual(
    scratch_registry: Registry, org: Organization, acme_pause: None
) -> None:
    schedule = hourly(scratch_registry, "hourly-skip", on_pause="skip")
    assert len(firing.fire_schedule(schedule, utc(2026, 12, 1, 10, 0, 5))) == 1


@pytest.fixture
def acme_pause() -> None:
    """Greeting paused in another organization, which schedules do not fire in."""
    acme = Organization.objects.create(slug="acme", name="Acme")
    store.pause_txn(acme.pk, "greeting", "mallory", "")


def test_on_pause_takes_queue_or_skip_only(scratch_registry: Registry) -> None:
    schedule = define_schedule(slug="typo", cron="0 * * * *")
    with pytest.raises(ValueError, match="on_pause='wait'.*'queue'.*'skip'"):
        schedule.attach(scratch_registry.workflow("greeting"), on_pause="wait")
    assert schedule.attachments == []
