"""Leases renewed while a worker holds runs: one thread for all of them, stopping a run that is no
longer ours.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from history.models import Organization, Run
from workflows import store
from workflows.conf import engine_settings
from workflows.heartbeat import heartbeats

from ..factories import make_run

pytestmark = pytest.mark.django_db(transaction=True)


def _eventually(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 4 * engine_settings()["LEASE_SECONDS"]
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def _expiry(run_pk: int) -> object:
    return Run.objects.values_list("lease_expires_at", flat=True).get(pk=run_pk)


def test_one_thread_renews_every_held_lease_and_stops_a_run_no_longer_ours(
    org: Organization,
) -> None:
    runs = [make_run(org) for _ in range(2)]
    for run in runs:
        assert store.claim_run(run.pk, f"owner-{run.pk}") is not None
    claimed = {run.pk: _expiry(run.pk) for run in runs}
    first, second = runs
    with (
        heartbeats.hold(first.pk, f"owner-{first.pk}") as first_stop,
        heartbeats.hold(second.pk, f"owner-{second.pk}") as second_stop,
    ):
        beating = [t for t in threading.enumerate() if t.name == "heartbeat"]
        assert len(beating) == 1, "one thread for every run the process holds"
        _eventually(
            lambda: all(_expiry(pk) > expiry for pk, expiry in claimed.items()),  # type: ignore[operator]
            "both leases renewed",
        )
        Run.objects.filter(pk=second.pk).update(status=Run.Status.CANCELED, lease_owner="")
        _eventually(second_stop.is_set, "the canceled run is told to stop")
        assert not first_stop.is_set(), "the other run goes on"
    _eventually(
        lambda: not any(t.name == "heartbeat" for t in threading.enumerate()),
        "the thread ends once it holds nothing",
    )
