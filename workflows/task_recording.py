"""The host project's own Celery tasks as runs of kind task, recorded from Celery's signals.

``KEYSTROKE_RECORD_CELERY_TASKS``: 1 records every task, ``app.tasks.a,app.tasks.b`` those;
Keystroke's own (``workflows.*``) and Celery's (``celery.*``) never. ``WorkflowsConfig.ready``
connects the handlers only when it is set, so a project without it pays nothing.

Each signal is one upsert by the task id (``workflows.store.task_runs``), written by a thread of
its own in batches (``Writer``). Recording must never change what the task does: every handler
catches what goes wrong, logs it and returns.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import threading
import traceback
from collections import deque
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from time import sleep
from typing import Any
from uuid import UUID

from celery import current_app, signals
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone

from history.hook_tokens import cut
from history.listing import PREVIEW_CHARS

from .conf import engine_settings
from .engine.failures import stored_text
from .redact import redact
from .storable import storable
from .store.task_runs import TaskEvent, record_task_event

logger = logging.getLogger("keystroke.task_recording")

ALL = "all"
_ON = {"1", "true", "yes", "on"}
_OFF = {"0", "false", "no", "off", ""}
_OWN = ("workflows.", "celery.")
_selected: str | frozenset[str] | None = None


def selection(raw: str) -> str | frozenset[str] | None:
    """``ALL``, the task names listed, or None: what ``KEYSTROKE_RECORD_CELERY_TASKS`` asks for."""
    value = raw.strip()
    if value.lower() in _ON:
        return ALL
    if value.lower() in _OFF:
        return None
    return frozenset(name.strip() for name in value.split(",") if name.strip())


def records(name: str | None) -> bool:
    if not name or _selected is None or name.startswith(_OWN):
        return False
    return _selected == ALL or name in _selected


# Arguments as JSON: the types Celery's JSON serializer carries become text, anything else a
# placeholder naming its type, so a task with odd arguments still runs and is recorded.
def plain(value: Any) -> Any:
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, UUID | Decimal):
        return str(value)
    return f"<unserialisable: {type(value).__name__}>"


def payload(value: Any) -> Any:
    """``value`` as stored: plain, redacted, storable, and past KEYSTROKE_MAX_PAYLOAD bytes cut to
    a preview that says its size.
    """
    stored = storable(redact(plain(value)))
    text = json.dumps(stored, ensure_ascii=False)
    size = len(text.encode())
    if size > engine_settings()["MAX_PAYLOAD"]:
        return {"truncated": True, "size": size, "preview": cut(text, PREVIEW_CHARS)}
    return stored


def _error(exc: BaseException) -> dict[str, Any]:
    """The failure as stored, its message and traceback cut to KEYSTROKE_MAX_PAYLOAD before they
    are redacted (an HTTP error may carry a whole response body)."""
    limit = engine_settings()["MAX_PAYLOAD"]
    return {
        "type": type(exc).__name__,
        "message": stored_text(cut(str(exc), limit)),
        "traceback": stored_text(cut("".join(traceback.format_exception(exc)), limit)),
    }


def _arguments(args: Any, kwargs: Any) -> Any:
    return payload({"args": list(args or ()), "kwargs": dict(kwargs or {})})


def _details(request: Any, **more: Any) -> dict[str, Any]:
    """Where the task ran, from a worker's request or task context."""
    details = {"task_id": request.id, **more}
    delivery = getattr(request, "delivery_info", None) or {}
    if delivery.get("routing_key"):
        details["queue"] = delivery["routing_key"]
    if getattr(request, "hostname", None):
        details["worker"] = request.hostname
    return details


def _attempt(request: Any) -> int:
    return int(getattr(request, "retries", 0) or 0) + 1


class Writer:
    """Writes events from a thread of its own, a batch per transaction: a task pays for building
    its event and a queue append, not for a commit (which waits on the disk, 1 to 2 ms here).

    A batch is what arrived within FLUSH_SECONDS of its first event. The thread starts with the
    first event of each process (a pool's processes are forked without it). What is still queued
    when a process stops is written by ``flush``, which the worker's shutdown signals call; a
    process killed outright loses at most that last fraction of a second.
    """

    FLUSH_SECONDS = 0.2
    BATCH = 500  # events per transaction: a backlog after an outage goes in steps
    RETRY_SECONDS = 1.0  # after the database could not be reached
    IDLE_SECONDS = 2.0  # the connection is closed after this long without events
    LIMIT = 10_000  # while the database is away, older events are dropped, never the task
    threaded = True  # False: events wait for ``flush`` (tests that write in their own thread)

    def __init__(self) -> None:
        self._reset()
        # A pool process forked while the parent's writer held a lock would wait on it forever:
        # the child starts with fresh ones and an empty queue (the parent writes what it had).
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._events: deque[TaskEvent] = deque()
        self._arrived = threading.Condition()
        self._writing = threading.Lock()
        self._pid = 0
        self.dropped = 0

    def put(self, event: TaskEvent) -> None:
        with self._arrived:
            self._keep([event])
            if self.threaded and self._pid != os.getpid():
                threading.Thread(
                    target=self._run, name="keystroke-task-recording", daemon=True
                ).start()
                self._pid = (
                    os.getpid()
                )  # once it runs: a thread that could not start is tried again
            self._arrived.notify()

    def flush(self) -> None:
        """Write what is queued now, in this thread, after any batch the writer is writing."""
        with self._writing:
            while self._write(batch := self._take()) and batch:
                pass

    def _keep(self, events: list[TaskEvent], first: bool = False) -> None:
        """Queue ``events`` (before the others when ``first``), dropping the oldest past LIMIT."""
        if first:
            self._events.extendleft(reversed(events))
        else:
            self._events.extend(events)
        while len(self._events) > self.LIMIT:
            self._events.popleft()
            self.dropped += 1

    def _run(self) -> None:
        while True:
            try:
                self._write_next()
            except Exception:  # the thread must outlive anything: it is the only writer
                logger.exception("the Celery task recorder failed; it goes on")
                sleep(self.RETRY_SECONDS)

    def _write_next(self) -> None:
        with self._arrived:
            if not self._arrived.wait_for(lambda: bool(self._events), timeout=self.IDLE_SECONDS):
                # idle: give the connection back (a test's database can then be dropped)
                connection.close()
                return
        sleep(self.FLUSH_SECONDS)  # let the rest of the batch arrive
        connection.close_if_unusable_or_obsolete()
        with self._writing:
            written = self._write(self._take())
        if not written:
            sleep(self.RETRY_SECONDS)

    def _take(self) -> list[TaskEvent]:
        with self._arrived:
            batch = [self._events.popleft() for _ in range(min(self.BATCH, len(self._events)))]
            dropped, self.dropped = self.dropped, 0
        if dropped:
            logger.warning(
                "%d Celery task events were dropped while History could not be written", dropped
            )
        return batch

    def _write(self, batch: list[TaskEvent]) -> bool:
        """Write ``batch`` in one transaction; False when the database could not be reached, and
        what was not written is queued again for the next batch."""
        if not batch:
            return True
        try:
            with transaction.atomic():
                for event in batch:
                    record_task_event(event)
            return True
        except (OperationalError, InterfaceError) as exc:
            return self._wait_for_database(batch, exc)
        except Exception:
            logger.exception(
                "could not record %d Celery task events in History together; trying each alone",
                len(batch),
            )
        for n, event in enumerate(batch):  # one bad event must not lose the others
            try:
                with transaction.atomic():
                    record_task_event(event)
            except (OperationalError, InterfaceError) as exc:
                return self._wait_for_database(batch[n:], exc)
            except Exception:
                logger.exception(
                    "could not record Celery task %s in History; the task is unaffected",
                    event.task_id,
                )
        return True

    def _wait_for_database(self, events: list[TaskEvent], exc: Exception) -> bool:
        logger.warning(
            "could not record a Celery task in History (%d events wait for the database; "
            "the tasks are unaffected): %s",
            len(events),
            exc,
        )
        connection.close_if_unusable_or_obsolete()
        with self._arrived:
            self._keep(events, first=True)
        return False


writer = Writer()


def flush() -> None:
    """Write every task event recorded so far (the worker's shutdown; tests)."""
    try:
        writer.flush()
    except Exception:
        logger.exception("could not write the last Celery task events to History")


def _record(make: Callable[[], TaskEvent]) -> None:
    """Queue the event for the writer; whatever fails is logged, never raised into the task."""
    try:
        writer.put(make())
    except Exception:
        logger.exception("could not record a Celery task in History; the task is unaffected")


def on_publish(
    sender: Any = None, body: Any = None, headers: Any = None, routing_key: Any = None, **_: Any
) -> None:
    headers = headers or {}
    name = sender if isinstance(sender, str) else headers.get("task")
    if not records(name):
        return

    def make() -> TaskEvent:
        if isinstance(body, dict):  # message protocol 1: the id is in the body
            args, kwargs = body.get("args"), body.get("kwargs")
            task_id, retries = body["id"], body.get("retries")
        else:
            args, kwargs = body[0], body[1]
            task_id, retries = headers["id"], None
        details = {"task_id": task_id, "queue": routing_key}
        if headers.get("eta"):
            details["eta"] = headers["eta"]
        return TaskEvent(
            task_id=task_id,
            name=name,
            status="queued",
            attempt=int(headers.get("retries") or retries or 0) + 1,
            at=timezone.now(),
            input=_arguments(args, kwargs),
            details=details,
        )

    _record(make)


def _event(
    request: Any,
    name: str,
    status: str,
    attempt: int | None = None,
    details: dict[str, Any] | None = None,
    **fields: Any,
) -> TaskEvent:
    """What a signal says about the task a worker's ``request`` (or task context) describes."""
    return TaskEvent(
        task_id=request.id,
        name=name,
        status=status,
        attempt=_attempt(request) if attempt is None else attempt,
        at=timezone.now(),
        input=_arguments(request.args, request.kwargs),
        details=details or _details(request),
        **fields,
    )


def on_received(request: Any = None, **_: Any) -> None:
    if request is None or not records(request.name):
        return
    received = timezone.now().isoformat()
    attempt = int(request.request_dict.get("retries") or 0) + 1
    _record(
        lambda: _event(
            request,
            request.name,
            "queued",
            attempt,
            details=_details(request, received_at=received),
        )
    )


def on_prerun(task: Any = None, **_: Any) -> None:
    if task is None or not records(task.name):
        return
    _record(lambda: _event(task.request, task.name, "running"))


def on_retry(sender: Any = None, request: Any = None, reason: Any = None, **_: Any) -> None:
    if sender is None or request is None or not records(sender.name):
        return
    cause = getattr(reason, "exc", None) or reason  # Retry carries the error it retries on
    error = _error(cause) if isinstance(cause, BaseException) else None
    # the next attempt waits in the broker
    _record(lambda: _event(request, sender.name, "queued", _attempt(request) + 1, error=error))


def on_success(sender: Any = None, result: Any = None, **_: Any) -> None:
    if sender is None or not records(sender.name):
        return
    _record(lambda: _event(sender.request, sender.name, "success", output=payload(result)))


def on_failure(sender: Any = None, exception: Any = None, **_: Any) -> None:
    if sender is None or not records(sender.name):
        return
    _record(lambda: _event(sender.request, sender.name, "failed", error=_error(exception)))


def on_revoked(
    sender: Any = None, request: Any = None, terminated: Any = None, expired: Any = None, **_: Any
) -> None:
    if sender is None or request is None or not records(sender.name):
        return
    reason = "expired" if expired else "terminated" if terminated else "revoked"
    _record(
        lambda: _event(request, sender.name, "canceled", details=_details(request, revoked=reason))
    )


def on_shutdown(**_: Any) -> None:
    flush()


_HANDLERS = (
    (signals.worker_process_shutdown, on_shutdown),
    (signals.worker_shutdown, on_shutdown),
    (signals.before_task_publish, on_publish),
    (signals.task_received, on_received),
    (signals.task_prerun, on_prerun),
    (signals.task_retry, on_retry),
    (signals.task_success, on_success),
    (signals.task_failure, on_failure),
    (signals.task_revoked, on_revoked),
)


def connect(raw: str | None = None) -> bool:
    """Record the tasks ``raw`` selects (default: the setting); False, and nothing connected,
    when it selects none.
    """
    global _selected
    _selected = selection(engine_settings()["RECORD_CELERY_TASKS"] if raw is None else raw)
    if _selected is None:
        return False
    for signal, handler in _HANDLERS:
        signal.connect(handler, weak=False, dispatch_uid=f"keystroke:{handler.__name__}")
    atexit.register(flush)  # a web process's publishes; a worker's shutdown signals flush first
    return True


def disconnect() -> None:
    global _selected
    _selected = None
    for signal, handler in _HANDLERS:
        signal.disconnect(handler, dispatch_uid=f"keystroke:{handler.__name__}")
    atexit.unregister(flush)


def revoke(task_id: str) -> None:
    """Ask the workers not to run the task (a queued task's cancel); a running one goes on."""
    try:
        current_app.control.revoke(task_id)
    except Exception:
        logger.exception("could not revoke Celery task %s; it may still run", task_id)
