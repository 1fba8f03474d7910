"""Hearing a run stop moving: on PostgreSQL, a trigger on the run's status (migration 0025) sends
a notification on ``keystroke_run_settled`` at commit, with the run's uid, when someone waits on
the run, which a wait says by holding a shared advisory lock on the run's key.

Notifications reach a session only between its transactions, and a wait holds one (its advisory
lock, history.api.waiting), so each web process listens on a connection of its own, opened the
first time it waits and kept. It listens only while a wait is on: a session that listens and does
not read would hold back the server's notification queue for everyone.

A pooler in transaction mode cannot keep a session's LISTEN or lock; ``DB_LISTEN=0`` turns
listening off, and a wait then looks at the run with growing pauses. A process whose wait finds
its run ended without having heard it stops listening and says so in the log. A listener that
fails (the database restarted, say) is closed, the wait goes on by looking, and the next wait
opens a new one; if that fails too, waits look for half a minute before trying again.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from django.conf import settings
from django.db import connection

CHANNEL = "keystroke_run_settled"
# pg_advisory_lock_shared(classid, hashtext(uid)): the class the trigger tries (migration 0025).
WAITER_LOCK_CLASS = 0x4B57_0002
# After a failed connection, waits look for this long before a listener is tried again.
RETRY_SECONDS = 30.0
# The server's socket is given up on after this long without an answer.
CONNECT_OPTIONS = {
    "connect_timeout": 5,
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
    "tcp_user_timeout": 30_000,
}

log = logging.getLogger(__name__)


class Listener:
    """A wait's ear on one listening connection, for one run."""

    def __init__(self, conn: psycopg.Connection[Any], run_uid: UUID) -> None:
        self.conn, self.wanted = conn, str(run_uid)

    @property
    def working(self) -> bool:
        return not self.conn.closed and not _state().deaf

    def heard(self, seconds: float) -> bool:
        """Whether the run was heard to settle within ``seconds``."""
        try:
            for notice in self.conn.notifies(timeout=max(0.0, seconds)):
                if notice.payload == self.wanted:
                    return True
        except psycopg.Error:
            _drop(self.conn, "it failed while listening")
        return False

    def missed(self) -> None:
        """The run ended and no notice came: this process's notices do not reach it (a pooler
        in transaction mode, most likely), so its waits look from now on.
        """
        log.warning(
            "?wait found a run ended that it had not heard end; this web process looks at runs "
            "from now on. Behind a pooler in transaction mode, set DB_LISTEN=0."
        )
        _state().deaf = True


class _State(threading.local):
    conn: psycopg.Connection[Any] | None = None
    pid = 0
    retry_at = 0.0
    deaf = False


_local = _State()


def _state() -> _State:
    return _local


@contextmanager
def listening(run_uid: UUID) -> Iterator[Listener | None]:
    """A listener on ``run_uid`` for the duration of one wait, or None where the wait must look
    instead. Once it is given, an end committed later is heard.
    """
    conn = _connection()
    started = conn is not None and _start(conn, run_uid)
    if conn is None or not started:
        yield None
        return
    try:
        yield Listener(conn, run_uid)
    finally:
        if not conn.closed:
            _stop(conn, run_uid)


def _connection() -> psycopg.Connection[Any] | None:
    state = _state()
    if connection.vendor != "postgresql" or not settings.KEYSTROKE_WAIT_LISTEN or state.deaf:
        return None
    conn = state.conn
    # A process forked after opening one (gunicorn's preload) must not share its socket.
    if conn is not None and not conn.closed and state.pid == os.getpid():
        return conn
    if time.monotonic() < state.retry_at:
        return None
    params = connection.get_connection_params()
    try:
        conn = psycopg.connect(**(params | CONNECT_OPTIONS), autocommit=True)
    except psycopg.Error as exc:
        state.retry_at = time.monotonic() + RETRY_SECONDS
        log.warning("?wait could not open its listening connection (%s); it looks instead", exc)
        return None
    state.conn, state.pid = conn, os.getpid()
    return conn


def _start(conn: psycopg.Connection[Any], run_uid: UUID) -> bool:
    try:
        conn.execute(f"LISTEN {CHANNEL}")
        # Blocks while the run is settling (the trigger holds the exclusive lock until its commit).
        conn.execute(
            "SELECT pg_advisory_lock_shared(%s, hashtext(%s::uuid::text))",
            [WAITER_LOCK_CLASS, str(run_uid)],
        )
    except psycopg.Error:
        _drop(conn, "LISTEN failed")
        return False
    return True


def _stop(conn: psycopg.Connection[Any], run_uid: UUID) -> None:
    try:
        conn.execute(
            "SELECT pg_advisory_unlock_shared(%s, hashtext(%s::uuid::text))",
            [WAITER_LOCK_CLASS, str(run_uid)],
        )
        conn.execute(f"UNLISTEN {CHANNEL}")
        # What arrived meanwhile, for other runs, is read and dropped.
        for _ in conn.notifies(timeout=0):
            pass
    except psycopg.Error:
        _drop(conn, "UNLISTEN failed")


def _drop(conn: psycopg.Connection[Any], why: str) -> None:
    log.warning("?wait's listening connection is closed: %s", why, exc_info=True)
    conn.close()
    _state().conn = None


def close() -> None:
    """Close this thread's listening connection, if it has one, and forget what it learned (the
    tests, before their database is dropped).
    """
    state = _state()
    if state.conn is not None:
        state.conn.close()
    state.conn, state.retry_at, state.deaf = None, 0.0, False
