"""Celery tasks: thin adapters that take a run's primary key and call the engine."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from celery.signals import worker_process_shutdown
from django.db import close_old_connections
from django.utils import timezone

from . import store
from .runner import resume_run
from .tracing import flush_exports


@shared_task(acks_late=True, reject_on_worker_lost=True)
def execute_run(run_pk: int) -> str:
    close_old_connections()  # connections outlive tasks (CELERY_DB_REUSE_MAX): drop broken ones
    return resume_run(run_pk)


@shared_task
def fire_timers() -> int:
    """Wake suspended runs whose sleep, retry backoff or hook timeout has come (run by beat)."""
    close_old_connections()
    now = timezone.now()
    return sum(store.fire_timer(pk, now) for pk in store.due_run_ids(now))


@shared_task
def sweep_runs() -> int:
    """Requeue runs whose worker died or whose message was lost: the database is the truth."""
    close_old_connections()
    now = timezone.now()
    return sum(store.requeue_stale(pk, now) for pk in store.stale_run_ids(now))


@worker_process_shutdown.connect
def _send_pending_spans(**_: Any) -> None:
    # A prefork child leaves with os._exit, so atexit would not send the OTLP exporter's last batch.
    flush_exports()
