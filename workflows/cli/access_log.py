"""gunicorn's logger for ``keystroke serve``, whose lines lose secrets and hook tokens.

gunicorn logs through its own handlers, which never reach Django's: its access line has the
path and query of every request (``/hooks/<token>``, ``/triggers/x?token=<secret>``).
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from ..log_output import redact_handlers


class RedactingLogger(Logger):
    def setup(self, cfg: Any) -> None:
        super().setup(cfg)  # also on a reload (SIGHUP), which makes new handlers
        for logger in (self.error_log, self.access_log):
            redact_handlers(logger)
