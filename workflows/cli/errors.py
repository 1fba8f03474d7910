from __future__ import annotations

from typing import Any


class CliError(Exception):
    """A failure shown as one ``error: …`` line on stderr; ``--verbose`` adds the details."""

    def __init__(self, message: str, status: int | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.details = details
