"""Sending run messages to the broker, always after the transaction that made them commits."""

from __future__ import annotations

from functools import partial

from celery import current_app
from django.db import transaction

EXECUTE_RUN = "workflows.tasks.execute_run"


def enqueue_on_commit(run_pk: int) -> None:
    # By task name, so the store need not import the tasks module that imports it. Robust:
    # if the broker is down the run is already committed, and the sweeper sends it later.
    transaction.on_commit(partial(current_app.send_task, EXECUTE_RUN, args=[run_pk]), robust=True)
