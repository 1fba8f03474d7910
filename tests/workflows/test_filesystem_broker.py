"""The embedded broker (no CELERY_BROKER_URL) hands a worker whole messages only.

kombu's filesystem transport created a message file before writing it, and a worker that
listed the folder in between exited with "Unrecoverable error: JSONDecodeError"; three
publishers of 20 KB messages and one reader hit that within the first few hundred.
"""

from __future__ import annotations

import os
import runpy
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

from kombu import Connection, Exchange, Queue

ROOT = Path(__file__).resolve().parents[2]
PUBLISHERS, PER_PUBLISHER = 3, 1000

PUBLISH = """
import sys
from kombu import Connection, Exchange, Queue
transport, folders = sys.argv[1], eval(sys.argv[2])
queue = Queue("keystroke", Exchange("keystroke"), "keystroke")
with Connection("filesystem://localhost/", transport=transport, transport_options=folders) as c:
    producer = c.Producer()
    for n in range(int(sys.argv[3])):
        producer.publish({"n": n, "pad": "x" * 20000}, exchange=queue.exchange,
                         routing_key="keystroke", declare=[queue])
"""


def embedded_broker(home: Path) -> dict[str, Any]:
    env = {"KEYSTROKE_HOME": str(home), "DEBUG": "1", "PATH": os.environ["PATH"]}
    with mock.patch.dict(os.environ, env, clear=True):
        settings = runpy.run_path(str(ROOT / "keystroke_site" / "settings.py"))
    return {
        # Unset, kombu's own filesystem transport is used.
        "transport": settings.get("CELERY_BROKER_TRANSPORT", "filesystem"),
        "options": settings["CELERY_BROKER_TRANSPORT_OPTIONS"],
    }


def test_a_worker_reading_while_three_processes_publish_gets_every_message(tmp_path: Path) -> None:
    broker = embedded_broker(tmp_path)
    publishers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                PUBLISH,
                broker["transport"],
                repr(broker["options"]),
                str(PER_PUBLISHER),
            ],
            cwd=ROOT,
        )
        for _ in range(PUBLISHERS)
    ]
    received = 0
    queue = Queue("keystroke", Exchange("keystroke"), "keystroke")
    with Connection(
        "filesystem://localhost/",
        transport=broker["transport"],
        transport_options=broker["options"],
    ) as connection:
        bound = queue(connection.default_channel)
        bound.declare()
        give_up = time.monotonic() + 120
        while received < PUBLISHERS * PER_PUBLISHER and time.monotonic() < give_up:
            if bound.get(no_ack=True) is not None:
                received += 1
    for publisher in publishers:
        assert publisher.wait(60) == 0
    assert received == PUBLISHERS * PER_PUBLISHER
    leftovers = os.listdir(broker["options"]["data_folder_in"])
    assert leftovers == [], f"files left in the queue folder: {leftovers[:5]}"


BIND = """
import sys
from kombu import Connection
transport, folders, me = sys.argv[1], eval(sys.argv[2]), sys.argv[3]
with Connection("filesystem://localhost/", transport=transport, transport_options=folders) as c:
    channel = c.default_channel
    channel.queue_declare(me)
    for n in range(int(sys.argv[4])):
        channel.exchange_declare(f"broadcast{n}", "fanout")
        channel.queue_bind(me, f"broadcast{n}", me)
    if me == "p0":  # a worker that leaves, while the others still bind
        channel.queue_delete(me)
"""
BINDERS, EXCHANGES = 4, 200


def test_processes_binding_to_new_exchanges_at_once_keep_their_bindings_and_a_readable_table(
    tmp_path: Path,
) -> None:
    # Celery's broadcasts (remote control, mingle) read an exchange's bindings while workers
    # bind their own queues to it; the first binders of an exchange create its file.
    broker = embedded_broker(tmp_path)
    binders = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                BIND,
                broker["transport"],
                repr(broker["options"]),
                f"p{n}",
                str(EXCHANGES),
            ],
            cwd=ROOT,
        )
        for n in range(BINDERS)
    ]
    with Connection(
        "filesystem://localhost/",
        transport=broker["transport"],
        transport_options=broker["options"],
    ) as connection:
        channel = connection.default_channel
        while any(binder.poll() is None for binder in binders):
            for n in range(EXCHANGES):
                channel.get_table(f"broadcast{n}")  # read a half-written file
        tables = [channel.get_table(f"broadcast{n}") for n in range(EXCHANGES)]
    assert [binder.returncode for binder in binders] == [0] * BINDERS
    stayed = {f"p{n}" for n in range(1, BINDERS)}
    wrong = [n for n, table in enumerate(tables) if {b.queue for b in table} != stayed]
    assert not wrong, f"exchanges whose bindings are not those of p1-p3: {wrong[:10]}"
