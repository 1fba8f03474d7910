"""``?wait=S``: answer when a run stops moving (it ended, sleeps or waits on a hook) or after S
seconds, so a client sees a short run's result as it is written instead of polling for it.

A wait holds a web worker process (gunicorn's sync workers serve one request at a time, and keep
their request timeout), so at most half of a host's web workers wait at once: a wait takes one of
that many PostgreSQL advisory locks, and when none is free, or on SQLite, ``?wait`` answers at
once, as if it had not been asked, and the client's own polling carries on. The locks belong to
the wait's transaction, which a pooler in transaction mode keeps on one server session and which
ends, releasing them, however the request ends. A wait also ends a few seconds before the
worker's request timeout, which would otherwise kill the worker in the middle of it.

A wait hears the run settle through PostgreSQL's LISTEN (history.listening) and looks at it again
only then, or each second in case a notice was lost; without a listener it looks with growing
pauses.
"""

from __future__ import annotations

import os
import socket
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from uuid import UUID

from django.db import connection, transaction
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request

from ..listening import listening
from ..models import Run

MAX_WAIT_SECONDS = 30.0
# Without a listener, each pause is a quarter longer than the last: a run that ends after t is seen
# about t/8 late, in some ten looks for a run of milliseconds; a long run is looked at twenty times
# a second.
FIRST_LOOK_SECONDS, LOOK_GROWTH, LONGEST_LOOK_SECONDS = 0.001, 1.25, 0.05
# With one, a look each second makes up for a notice that never came; a run found ended unheard
# is given this long for its notice before the process stops listening.
HEARING_LOOK_SECONDS, MISS_SECONDS = 1.0, 0.1
MOVING = (Run.Status.QUEUED, Run.Status.RUNNING)
WAIT = OpenApiParameter(
    "wait",
    float,
    description=f"Seconds (at most {MAX_WAIT_SECONDS:g}) to hold the answer while the run is "
    "queued or running: it comes as soon as the run ends, sleeps or waits on a hook. A busy "
    "server may answer sooner, with the run as it is; ask again.",
)


# pg_try_advisory_xact_lock(classid, objid): the class names these locks, the object this host and
# a slot number.
LOCK_CLASS = 0x4B57_0001


# Left of the worker's request timeout for the answer once a wait ends.
TIMEOUT_MARGIN_SECONDS = 5


def _longest_wait() -> float:
    # `keystroke serve` and `keystroke dev` export gunicorn's request timeout.
    timeout = int(os.environ.get("KEYSTROKE_WEB_TIMEOUT") or 0)
    if not timeout:
        return MAX_WAIT_SECONDS
    return min(MAX_WAIT_SECONDS, max(0, timeout - TIMEOUT_MARGIN_SECONDS))


def _wait_slots() -> int:
    # `keystroke serve` and `keystroke dev` export their number of web workers.
    return max(1, int(os.environ.get("KEYSTROKE_WEB_WORKERS") or 2) // 2)


def _host_key() -> int:
    return (zlib.crc32(socket.gethostname().encode()) & 0xFFFF) << 8


def wait_seconds(request: Request) -> float:
    """The ``wait`` query parameter in seconds (0 when absent), or a 400 that names it."""
    raw = request.query_params.get("wait")
    if raw is None or raw == "":
        return 0.0
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= MAX_WAIT_SECONDS:  # also refuses nan and inf
        raise ValidationError(
            {"wait": [f"wait={raw} is not a number of seconds from 0 to {MAX_WAIT_SECONDS:g}."]}
        )
    return seconds


def wait_while_moving(run_uid: UUID, seconds: float) -> None:
    """Return when the run is no longer queued or running, or after ``seconds``."""
    seconds = min(seconds, _longest_wait())
    if seconds <= 0:
        return
    with _slot() as granted:
        if not granted:
            return
        deadline = time.monotonic() + seconds
        # Listening starts before the first look, so an end committed after it is heard.
        with listening(run_uid) as listener:
            pause, listened = FIRST_LOOK_SECONDS, False
            while (status := _status(run_uid)) in MOVING:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                if listener and listener.working:
                    if listener.heard(min(left, HEARING_LOOK_SECONDS)):
                        return
                    listened = listener.working
                else:
                    listened = False
                    time.sleep(min(pause, left))
                    pause = min(pause * LOOK_GROWTH, LONGEST_LOOK_SECONDS)
            # Ended (not deleted) unheard: unless its notice was only just behind the look.
            if listened and listener and status is not None and not listener.heard(MISS_SECONDS):
                listener.missed()


@contextmanager
def _slot() -> Iterator[bool]:
    if connection.vendor != "postgresql":
        yield False
        return
    with transaction.atomic():
        for key in range(_host_key(), _host_key() + _wait_slots()):
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s, %s)", [LOCK_CLASS, key])
                if cursor.fetchone()[0]:
                    yield True
                    return
        yield False


def _status(run_uid: UUID) -> str | None:
    return Run.objects.filter(uid=run_uid).values_list("status", flat=True).first()
