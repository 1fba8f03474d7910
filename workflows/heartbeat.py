"""Lease renewal for the runs a worker process holds: one thread per process while it holds any,
not one per run.

A run held here is renewed every third of the lease; ``stop`` is set once the run is no longer
ours (canceled, taken over, or the lease lapsed while the database was away), and the pass stops
at its next step.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import DatabaseError, connection

from .conf import engine_settings
from .store import renew_lease
from .thread_signals import stop_signals_blocked

logger = logging.getLogger("keystroke.runner")


@dataclass
class _Held:
    run_pk: int
    owner: str
    renewed: float = field(default_factory=time.monotonic)
    stop: threading.Event = field(default_factory=threading.Event)


class Heartbeats:
    def __init__(self) -> None:
        self._reset()
        # A forked child inherits neither the thread nor, safely, the lock or the parent's runs.
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        # By owner, which is unique to a pass: two passes of one run in a process (a thread pool,
        # a pass that lost its lease still running) each keep their own.
        self._held: dict[str, _Held] = {}
        self._lock = threading.Lock()
        self._pid = 0  # the process whose thread is running

    @contextmanager
    def hold(self, run_pk: int, owner: str) -> Iterator[threading.Event]:
        held = _Held(run_pk, owner)
        with self._lock:
            self._held[owner] = held
            if self._pid != os.getpid():
                self._pid = os.getpid()
                with stop_signals_blocked():
                    threading.Thread(target=self._beat, name="heartbeat", daemon=True).start()
        try:
            yield held.stop
        finally:
            with self._lock:
                self._held.pop(owner, None)

    def _beat(self) -> None:
        lease = engine_settings()["LEASE_SECONDS"]
        try:
            while True:
                # Looked at twice a period, so no run waits more than half its lease.
                time.sleep(lease / 6)
                with self._lock:
                    if not self._held:  # idle: the next hold starts a thread again
                        return
                    now = time.monotonic()
                    due = [h for h in self._held.values() if now - h.renewed >= lease / 3]
                for held in due:
                    try:
                        self._renew(held, lease)
                    except Exception:  # one run's failure must not end every run's renewals
                        logger.exception("heartbeat of run %s failed", held.run_pk)
        finally:
            with self._lock:
                self._pid = 0  # however it ended, the next hold starts a thread
            connection.close()  # this thread's own connection

    def _renew(self, held: _Held, lease: float) -> None:
        try:
            renewed = renew_lease(held.run_pk, held.owner)
        except DatabaseError:
            logger.warning(
                "heartbeat of run %s could not reach the database; retrying",
                held.run_pk,
                exc_info=True,
            )
            connection.close()  # reconnect on the next beat
            # A transient error keeps the step going while the lease still holds; past it,
            # another worker may already have the run, so this one must stop.
            if time.monotonic() - held.renewed >= lease:
                held.stop.set()
            return
        if renewed:
            held.renewed = time.monotonic()
        else:
            held.stop.set()  # canceled or taken over


heartbeats = Heartbeats()
