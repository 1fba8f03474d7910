"""The only code that writes run, step, trigger state and delivery rows (and the engine's counters).

Functions ending in ``_txn`` run inside the caller's transaction and never open one.
Every status change is a conditional UPDATE: a count other than 1 means someone else
(a cancel, another worker, the sweeper) got there first. A run that becomes queued gets its
broker message after commit (``workflows.queue``).

* ``runs``: creating a run (from its ``RunOrigin``), cancel, retry, the rerun's lock
* ``task_runs``: the runs of the host project's Celery tasks, one upsert per signal
* ``copies``: a retry from a chosen step, with the steps it copies
* ``bulk``: bulk jobs and their batches
* ``leases``: a worker's claim and heartbeat, and handing a run back to the queue
* ``ending``: how a pass ends (finished or suspended)
* ``wakeups``: hooks and children waking runs, timers, the sweeper
* ``steps``: step records with their usage, hook answers
* ``events``: ``DatabaseEventLog``, what the engine writes through
* ``traces``: spans and log records
* ``triggers``: trigger state rows and deliveries
* ``pauses``: paused workflows, and sending a resumed one's held runs
* ``prune``: the retention deletes
* ``counters``: the metric increments and their fold
* ``dialect``: where PostgreSQL and the portable path part
"""

from __future__ import annotations

from . import bulk
from .copies import create_retry_run_txn
from .counters import fold_counts
from .ending import conclude_run
from .events import DatabaseEventLog
from .leases import (
    Claim,
    PassEnd,
    claim_run,
    release_run,
    renew_lease,
)
from .pauses import pause_txn, send_held, unpause_txn
from .prune import (
    audit_prune_txn,
    count_old_deliveries,
    count_runs_rows,
    delete_old_deliveries_txn,
    delete_runs_txn,
    expired_roots_txn,
    run_descendants_txn,
)
from .runs import (
    cancel_descendants_txn,
    cancel_queued_task_txn,
    cancel_run_txn,
    cancel_tree_txn,
    create_run_txn,
    lock_run_txn,
    retry_run_txn,
)
from .steps import answer_hook_txn, record_step
from .traces import Trace, save_trace_txn
from .triggers import (
    add_states,
    lock_state_txn,
    mark_fired_txn,
    record_delivery_txn,
    record_skip_txn,
    record_trigger_error,
    save_cursor_txn,
    set_enabled_txn,
    set_secret_txn,
    take_slot_txn,
)
from .wakeups import (
    due_run_ids,
    fire_timer,
    requeue_stale,
    settle_parent_step_txn,
    stale_run_ids,
    wake_run_txn,
)

__all__ = [
    "Claim",
    "DatabaseEventLog",
    "PassEnd",
    "Trace",
    "add_states",
    "answer_hook_txn",
    "audit_prune_txn",
    "bulk",
    "cancel_descendants_txn",
    "cancel_queued_task_txn",
    "cancel_run_txn",
    "cancel_tree_txn",
    "claim_run",
    "conclude_run",
    "count_old_deliveries",
    "count_runs_rows",
    "create_retry_run_txn",
    "create_run_txn",
    "delete_old_deliveries_txn",
    "delete_runs_txn",
    "due_run_ids",
    "expired_roots_txn",
    "fire_timer",
    "fold_counts",
    "lock_run_txn",
    "lock_state_txn",
    "mark_fired_txn",
    "pause_txn",
    "record_delivery_txn",
    "record_skip_txn",
    "record_step",
    "record_trigger_error",
    "release_run",
    "renew_lease",
    "requeue_stale",
    "retry_run_txn",
    "run_descendants_txn",
    "save_cursor_txn",
    "save_trace_txn",
    "send_held",
    "set_enabled_txn",
    "set_secret_txn",
    "settle_parent_step_txn",
    "stale_run_ids",
    "take_slot_txn",
    "unpause_txn",
    "wake_run_txn",
]
