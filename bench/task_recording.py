"""Task recording benchmark: what recording a Celery task in History adds to each task.

Run by hand from the repository root; it is not a test:

    .venv/bin/python bench/task_recording.py [--tasks 2000] [--repeat 3]

It needs PostgreSQL on 127.0.0.1:5432 (user postgres); it migrates a throwaway database and
drops it at the end. Two measures, each the median of --repeat rounds of --tasks tasks:

1. eager: a trivial task run with ``apply()`` (Celery's tracer, prerun and success signals, no
   broker), recording off then on; the difference per task is what recording adds there.
2. through a worker: the four signals a task sends on its way through a real worker (publish in
   the sender, received, prerun, success in the worker) fed to the recorder with the requests a
   worker would pass, one task after another; Celery's own work is not in it.

Events are written by the recorder's own thread in batches, so each measure has three figures:
the time in the task's thread, the time until every event of the round is in the database (the
last batch flushed), and the writer's own time per task.

docs/benchmarks.md has the results.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SERVER = "postgres://postgres@127.0.0.1:5432"
NAME = "bench.task_recording.noop"


def per_task_ms(run: Callable[[], None], tasks: int) -> float:
    started = time.perf_counter()
    for _ in range(tasks):
        run()
    return (time.perf_counter() - started) * 1000 / tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    options = parser.parse_args()

    database = f"keystroke_bench_tasks_{secrets.token_hex(4)}"
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        measure(database, options.tasks, options.repeat)
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def measure(database: str, tasks: int, repeat: int) -> None:
    os.environ.update(
        DATABASE_URL=f"{SERVER}/{database}",
        DJANGO_SETTINGS_MODULE="keystroke_site.settings",
        DEBUG="1",
        LOG_LEVEL="WARNING",
        KEYSTROKE_HOME=str(Path(os.environ.get("TMPDIR", "/tmp")) / database),
    )
    import django

    django.setup()
    from celery import shared_task
    from django.core.management import call_command
    from django.db import connection

    from workflows import task_recording

    call_command("migrate", verbosity=0)

    @shared_task(name=NAME)
    def noop(a: int, b: int) -> int:
        return a + b

    def eager() -> None:
        noop.apply(args=(1, 2))

    def through_a_worker() -> None:
        task_id = str(uuid.uuid4())
        request = SimpleNamespace(
            id=task_id,
            name=NAME,
            retries=0,
            args=[1, 2],
            kwargs={},
            hostname="celery@bench",
            delivery_info={"routing_key": "keystroke"},
            request_dict={"retries": 0},
        )
        task = SimpleNamespace(name=NAME, request=request)
        task_recording.on_publish(
            sender=NAME, body=((1, 2), {}, {}), headers={"id": task_id}, routing_key="keystroke"
        )
        task_recording.on_received(request=request)
        task_recording.on_prerun(task_id=task_id, task=task, args=[1, 2], kwargs={})
        task_recording.on_success(sender=task, result=3)

    writer = task_recording.writer
    write = writer._write
    in_writer = [0.0]

    def timed_write(batch: list[object]) -> bool:
        started = time.perf_counter()
        try:
            return write(batch)  # type: ignore[arg-type]
        finally:
            in_writer[0] += time.perf_counter() - started

    writer._write = timed_write  # type: ignore[method-assign]

    def round_of(run: Callable[[], None], events: int) -> tuple[float, float, float]:
        """The task's own time, the time until every event is written, and the writer's time, per
        task."""
        in_writer[0] = 0.0
        started = time.perf_counter()
        in_task = per_task_ms(run, tasks)
        writer.flush()  # what the writer thread has not written yet
        until_written = (time.perf_counter() - started) * 1000 / tasks
        return in_task, until_written, in_writer[0] * 1000 / tasks

    per_task_ms(eager, 200)  # warm up: connection, imports, the statements' first plans
    off, on, written, writing, signals, signals_written = [], [], [], [], [], []
    for _ in range(repeat):
        task_recording.disconnect()
        off.append(per_task_ms(eager, tasks))
        task_recording.connect("1")
        in_task, until_written, in_writer_ms = round_of(eager, 2)
        on.append(in_task)
        written.append(until_written)
        writing.append(in_writer_ms)
        in_task, until_written, _ = round_of(through_a_worker, 4)
        signals.append(in_task)
        signals_written.append(until_written)
    task_recording.disconnect()
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM history_run WHERE kind = 'task'")
        (recorded,) = cursor.fetchone()

    def show(values: list[float]) -> str:
        return f"{statistics.median(values):.3f} ms ({min(values):.3f}-{max(values):.3f})"

    print(f"{tasks} tasks x {repeat} rounds, PostgreSQL {connection.pg_version // 10000}")
    print(f"eager, recording off:             {show(off)} per task")
    print(f"eager, recording on:              {show(on)} per task")
    overhead = [b - a for a, b in zip(off, on, strict=True)]
    print(f"overhead in the task (2 events):  {show(overhead)} per task")
    print(f"  until its events are written:   {show(written)} per task")
    print(f"  the writer's time, batched:     {show(writing)} per task")
    print(f"worker's 4 signals, in the task:  {show(signals)} per task")
    print(f"  until its events are written:   {show(signals_written)} per task")
    print(f"runs recorded: {recorded}")


if __name__ == "__main__":
    main()
