"""A claim that waits for a writer of the run (a hook answered, a child finished) reads the step
log that writer left, not the one its statement began with.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from history.models import Organization, Run, Step
from workflows import store
from workflows.store.steps import answer_hook_txn
from workflows.store.wakeups import wake_run_txn

from ..factories import make_run

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks of PostgreSQL"),
]


def _claim_is_waiting() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")  # read afresh inside the transaction
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
            "AND query LIKE '%%WITH claimed%%'"
        )
        return cursor.fetchone()[0] > 0


def test_a_claim_that_waited_for_a_hook_answer_sees_the_answer(org: Organization) -> None:
    # Waiting on two hooks; the first was answered, so the run is queued with one wake-up.
    run = make_run(org, status=Run.Status.QUEUED, wakeups=1)
    for position in (0, 1):
        Step.objects.create(
            run=run,
            position=position,
            step_id=f"step:approval#{position}",
            kind="hook",
            status="success" if position == 0 else "waiting",
            token=f"token{position}",
        )
    claims: list[store.Claim | None] = []

    def claim() -> None:
        try:
            claims.append(store.claim_run(run.pk, "worker-b"))
        finally:
            connection.close()

    claimer = threading.Thread(target=claim)
    with transaction.atomic():  # the second answer, holding the run's row
        second = Step.objects.get(run=run, position=1)
        assert answer_hook_txn(second.pk, {"approved": True}, "ada")
        wake_run_txn(run.pk)
        claimer.start()
        deadline = time.monotonic() + 10
        while not _claim_is_waiting():
            assert time.monotonic() < deadline, "the claim waits for the answer's transaction"
            time.sleep(0.02)
    claimer.join(10)
    (claimed,) = claims
    assert claimed is not None and claimed.run.wakeups == 2
    assert claimed.steps[1].status == "success", "the answer the claim waited for"
