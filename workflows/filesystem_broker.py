"""kombu's filesystem broker, with files that appear only when whole.

The stock transport creates a message file and then writes it, so a worker that lists the
folder in between reads an empty file and exits with a JSONDecodeError (kombu issue #1551); an
exchange's bindings file is rewritten in place the same way, and two processes binding at once
can each truncate the other's. Here a message is written under a name no queue matches and
renamed into place, and a bindings file is changed under a lock of its own and renamed into
place, so a reader sees the old file or the new one, never a part.
"""

from __future__ import annotations

import fcntl
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem, virtual
from kombu.utils.encoding import bytes_to_str, str_to_bytes
from kombu.utils.json import dumps, loads

Binding = filesystem.exchange_queue_t


def _write_whole(path: Path, data: bytes) -> None:
    # A leading dot leaves the name outside every queue while it is written.
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.part")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


class Channel(filesystem.Channel):
    # Named as in kombu's filesystem Channel, whose own base calls the argument "message".
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        data = str_to_bytes(dumps(payload))
        try:
            _write_whole(Path(self.data_folder_out) / name, data)
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to {self.data_folder_out!r}") from exc

    def _queue_bind(self, exchange: Any, routing_key: Any, pattern: Any, queue: Any) -> None:
        binding = Binding(routing_key or "", pattern or "", queue or "")
        self._change_bindings(
            exchange, lambda table: table if binding in table else [binding, *table]
        )

    def _delete(
        self, queue: Any, exchange: Any, routing_key: Any, pattern: Any, *args: Any, **kwargs: Any
    ) -> None:
        # The virtual channel's own bookkeeping, then the bindings file, as kombu does.
        virtual.Channel._delete(self, queue, exchange, routing_key, pattern, *args, **kwargs)
        binding = Binding(routing_key or "", pattern or "", queue or "")
        self._change_bindings(exchange, lambda table: [b for b in table if b != binding])

    def _change_bindings(self, exchange: Any, change: Callable[[list[Any]], list[Any]]) -> None:
        file = self._exchange_file(exchange)
        self.control_folder.mkdir(exist_ok=True)
        try:
            with open(file.with_name(f".{file.name}.lock"), "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                try:
                    table = [Binding(*b) for b in loads(bytes_to_str(file.read_bytes()))]
                except FileNotFoundError:
                    table = []
                changed = change(table)
                if changed != table:
                    _write_whole(file, str_to_bytes(dumps(changed)))
        except OSError as exc:
            raise ChannelError(f"Cannot change {file}") from exc


class Transport(filesystem.Transport):
    Channel = Channel
