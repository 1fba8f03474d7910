"""kombu's filesystem broker, with messages that appear in the queue folder only when whole.

The stock transport creates a message file and then writes it, so a worker that lists the
folder in between reads an empty file and exits with a JSONDecodeError (kombu issue #1551).
Here a message is written under a name no queue matches and renamed into place, which the
reader sees at once or not at all.
"""

from __future__ import annotations

import os
import time
import uuid
from typing import Any

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    # Named as in kombu's filesystem Channel, whose own base calls the argument "message".
    def _put(self, queue: Any, payload: Any, **kwargs: Any) -> None:  # type: ignore[override]
        name = f"{round(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        # A leading dot leaves the name outside every queue while it is written.
        partial = os.path.join(self.data_folder_out, f".{name}.part")
        try:
            with open(partial, "wb") as f:
                f.write(str_to_bytes(dumps(payload)))
            os.replace(partial, os.path.join(self.data_folder_out, name))
        except OSError as exc:
            raise ChannelError(f"Cannot add file {name!r} to {self.data_folder_out!r}") from exc


class Transport(filesystem.Transport):
    Channel = Channel
