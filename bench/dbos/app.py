"""DBOS Transact's side of compare.py, run in its own virtualenv (bench/dbos/requirements.txt).

The same workloads as bench/project: a workflow of ten steps that each return a small dict, and one
of none. compare.py runs it as a subprocess against a database of the private cluster:

    app.py sequential URL RUNS WARM_UP          in-process, one call at a time; JSON on stdout
    app.py worker URL EXECUTOR CONCURRENCY POLL a queue worker until SIGTERM; "ready" once launched
    app.py burst URL RUNS WARM_UP               enqueue RUNS at once for the workers; JSON on stdout

WAL positions are read here, around the measured calls only, so that launching DBOS (its
migrations, its queue row) is left out.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from typing import Any

import psycopg
from dbos import DBOS, DBOSConfig

QUEUE = "bench"


@DBOS.step()
def noop(n: int) -> dict[str, int]:
    return {"n": n}


@DBOS.workflow()
def ten_steps() -> dict[str, int]:
    for n in range(10):
        noop(n)
    return {"steps": 10}


@DBOS.workflow()
def zero_steps() -> dict[str, int]:
    return {"steps": 0}


def launch(url: str, executor: str, queues: list[str] | None = None) -> None:
    config: DBOSConfig = {
        "name": "keystroke-compare",
        "system_database_url": url,
        "executor_id": executor,
        "log_level": "WARNING",
    }
    DBOS(config=config)
    if queues is not None:
        DBOS.listen_queues(queues)
    DBOS.launch()


def lsn(db: psycopg.Connection[Any]) -> str:
    row = db.execute("SELECT pg_current_wal_lsn()::text").fetchone()
    assert row is not None
    return str(row[0])


def timed(fn: Any) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def sequential(url: str, runs: int, warm_up: int) -> dict[str, Any]:
    launch(url, "sequential", queues=[])
    result: dict[str, Any] = {}
    with psycopg.connect(url, autocommit=True) as db:
        for name, workflow in (("ten", ten_steps), ("zero", zero_steps)):
            for _ in range(warm_up):
                workflow()
            start = lsn(db)
            seconds = [timed(workflow) for _ in range(runs)]
            result[name] = {"seconds": seconds, "lsn": [start, lsn(db)]}
    return result


def worker(url: str, executor: str, concurrency: int, polling: float) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    launch(url, executor, queues=[QUEUE])
    DBOS.register_queue(
        QUEUE,
        worker_concurrency=concurrency,
        polling_interval_sec=polling,
        on_conflict="always_update",
    )
    print("ready", flush=True)
    stop.wait()
    DBOS.destroy()


def burst(url: str, runs: int, warm_up: int) -> dict[str, Any]:
    launch(url, "submitter", queues=[])  # enqueues only: the two workers run everything
    queue = DBOS.retrieve_queue(QUEUE)
    assert queue is not None, "the workers register the queue before the burst starts"
    with psycopg.connect(url, autocommit=True) as db:
        wait_all(db, [queue.enqueue(ten_steps).get_workflow_id() for _ in range(warm_up)])
        start, first = lsn(db), time.time()
        ids = [queue.enqueue(ten_steps).get_workflow_id() for _ in range(runs)]
        wait_all(db, ids)
        end = lsn(db)
        row = db.execute(
            "SELECT max(updated_at) FROM dbos.workflow_status WHERE workflow_uuid = ANY(%s)", [ids]
        ).fetchone()
    assert row is not None
    return {"wall": row[0] / 1000 - first, "lsn": [start, end]}


def wait_all(db: psycopg.Connection[Any], ids: list[str], timeout: float = 900) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rows = db.execute(
            "SELECT status, count(*) FROM dbos.workflow_status WHERE workflow_uuid = ANY(%s) "
            "GROUP BY status",
            [ids],
        ).fetchall()
        counts = dict(rows)
        if set(counts) - {"SUCCESS", "ENQUEUED", "PENDING"}:
            raise RuntimeError(f"Some workflows did not succeed: {counts}")
        if counts.get("SUCCESS") == len(ids):
            return
        time.sleep(0.05)
    raise RuntimeError(f"{len(ids)} workflows did not finish within {timeout:g}s")


def main(argv: list[str]) -> int:
    mode, url, *rest = argv
    if mode == "worker":
        worker(url, rest[0], int(rest[1]), float(rest[2]))
        return 0
    measure = {"sequential": sequential, "burst": burst}[mode]
    result = measure(url, int(rest[0]), int(rest[1]))
    DBOS.destroy()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
