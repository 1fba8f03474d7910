"""Celery tasks: thin adapters that take a run's primary key and call the engine."""

from __future__ import annotations

import logging
from typing import Any

from celery import shared_task
from celery.signals import worker_process_shutdown
from django.db import close_old_connections
from django.utils import timezone

from history.throttle import forget_stale_api_key_failures

from . import bulk, retention, shutdown, store  # noqa: F401  shutdown connects the warm-shutdown handlers
from .conf import engine_settings
from .registry import registry
from .runner import resume_run
from .tracing import flush_exports
from .triggers import firing
from .triggers.sync import sync

logger = logging.getLogger("keystroke.triggers")


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
    requeued = sum(store.requeue_stale(pk, now) for pk in store.stale_run_ids(now))
    store.fold_counts()  # keeps what a /metrics scrape reads small
    bulk.resend_stale()
    return requeued


# A failed batch rolled back: it is tried again from the same cursor, then fails the job.
BULK_BATCH_RETRIES = 3


@shared_task(bind=True, acks_late=True, max_retries=BULK_BATCH_RETRIES)
def run_bulk_batch(self: Any, job_pk: int, cursor: int) -> bool:
    """One batch of a bulk cancel or retry; the next batch is a message of its own."""
    close_old_connections()
    try:
        return bulk.run_batch(job_pk, cursor)
    except Exception as exc:
        if self.request.retries < BULK_BATCH_RETRIES:
            raise self.retry(exc=exc, countdown=2**self.request.retries) from exc
        bulk.fail(job_pk, exc)
        raise


@shared_task
def fire_triggers() -> int:
    """Fire due schedule slots, and hand due polls to workers of their own (run by beat)."""
    close_old_connections()
    sync()  # the rows of a trigger deployed since the last migrate
    now, fired = timezone.now(), 0
    for trigger in registry.triggers.values():
        try:
            if trigger.type == "schedule":
                fired += len(firing.fire_schedule(trigger, now))
            elif trigger.type == "poll" and firing.poll_due(trigger, now):
                poll_trigger.delay(trigger.slug)
        except Exception:
            # one broken trigger must not hold up the others; the next beat tries again
            logger.exception("trigger %s could not be fired", trigger.slug)
    return fired


@shared_task
def poll_trigger(slug: str) -> int:
    """One tick of a poll; a duplicate message finds the slot taken and does nothing."""
    close_old_connections()
    trigger = registry.triggers.get(slug)
    return len(firing.run_poll(trigger, timezone.now())) if trigger is not None else 0


@shared_task
def prune_runs() -> int:
    """Delete finished runs past their retention, batch by batch, for a bounded time (run by
    beat).
    """
    close_old_connections()
    forget_stale_api_key_failures()
    pruned = retention.prune(seconds=engine_settings()["PRUNE_SECONDS"])
    if pruned.total:
        done = "" if pruned.finished else "; out of time, the next prune goes on"
        logging.getLogger("keystroke.retention").info(
            "deleted %d expired runs%s", pruned.total, done
        )
    return pruned.total


@worker_process_shutdown.connect
def _send_pending_spans(**_: Any) -> None:
    # A prefork child leaves with os._exit, so atexit would not send the OTLP exporter's last batch.
    flush_exports()
