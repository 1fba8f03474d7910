"""Hearing a run stop moving: on PostgreSQL, a trigger on the run's status (migration 0025) sends
a notification on ``keystroke_run_settled`` at commit, with the run's uid.

Notifications reach a session only between its transactions, and a wait holds one (its advisory
lock, history.api.waiting), so each web process listens on a connection of its own, opened the
first time it waits and kept. It listens only while a wait is on: a session that listens and does
not read would hold back the server's notification queue for everyone. A pooler in transaction mode
cannot keep a session's LISTEN; ``DB_LISTEN=0`` turns listening off, and a wait then looks at the
run with growing pauses. A listener that fails (the database restarted, say) is closed, the wait
goes on by looking, and the next wait opens a new one.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from django.conf import settings
from django.db import connection

CHANNEL = "keystroke_run_settled"

log = logging.getLogger(__name__)


class Listener:
    """A wait's ear on one listening connection."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    @property
    def working(self) -> bool:
        return not self.conn.closed

    def heard(self, run_uid: UUID, seconds: float) -> bool:
        """Whether the run was heard to settle within ``seconds``."""
        wanted = str(run_uid)
        try:
            for notice in self.conn.notifies(timeout=max(0.0, seconds)):
                if notice.payload == wanted:
                    return True
        except psycopg.Error:
            _drop(self.conn, "it failed while listening")
        return False


_local = threading.local()


@contextmanager
def listening() -> Iterator[Listener | None]:
    """A listener for the duration of one wait, or None where the wait must look instead."""
    conn = _connection()
    if conn is None:
        yield None
        return
    try:
        conn.execute(f"LISTEN {CHANNEL}")
    except psycopg.Error:
        _drop(conn, "LISTEN failed")
        yield None
        return
    try:
        yield Listener(conn)
    finally:
        if not conn.closed:
            _stop(conn)


def _connection() -> psycopg.Connection[Any] | None:
    if connection.vendor != "postgresql" or not settings.KEYSTROKE_WAIT_LISTEN:
        return None
    conn = getattr(_local, "conn", None)
    # A process forked after opening one (gunicorn's preload) must not share its socket.
    if conn is not None and not conn.closed and _local.pid == os.getpid():
        return conn
    try:
        conn = connection.get_new_connection(connection.get_connection_params())
        conn.autocommit = True
    except psycopg.Error:
        log.warning("?wait could not open its listening connection; it looks", exc_info=True)
        return None
    _local.conn, _local.pid = conn, os.getpid()
    return conn


def _stop(conn: psycopg.Connection[Any]) -> None:
    try:
        conn.execute(f"UNLISTEN {CHANNEL}")
        # What arrived meanwhile, for other runs, is read and dropped.
        for _ in conn.notifies(timeout=0):
            pass
    except psycopg.Error:
        _drop(conn, "UNLISTEN failed")


def _drop(conn: psycopg.Connection[Any], why: str) -> None:
    log.warning("?wait's listening connection is closed: %s", why, exc_info=True)
    conn.close()
    _local.conn = None


def close() -> None:
    """Close this thread's listening connection, if it has one (the tests, before their database
    is dropped).
    """
    conn = getattr(_local, "conn", None)
    if conn is not None:
        conn.close()
        _local.conn = None
