"""Keyset pagination of the History list: newest first, by (created_at, id)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q, QuerySet

from .errors import BadCursor
from .models import Run

PAGE_SIZE = 50


def encode_cursor(run: Run) -> str:
    return (
        base64.urlsafe_b64encode(f"{run.created_at.isoformat()}|{run.pk}".encode())
        .decode()
        .rstrip("=")
    )


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created, pk = raw.split("|")
        when = datetime.fromisoformat(created)
        if when.tzinfo is None:
            raise ValueError
        return when.astimezone(UTC), int(pk)
    except (ValueError, OverflowError):
        raise BadCursor("The page cursor is malformed: use the links on the page.") from None


@dataclass(frozen=True)
class Page:
    runs: list[Run]
    next_cursor: str | None


def page_after(runs: QuerySet[Run], cursor: str | None, size: int = PAGE_SIZE) -> Page:
    """One page of ``runs`` (already ordered newest first) after ``cursor``."""
    if cursor:
        created, pk = decode_cursor(cursor)
        runs = runs.filter(Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk))
    rows = list(runs[: size + 1])
    more = len(rows) > size
    return Page(rows[:size], encode_cursor(rows[size - 1]) if more else None)
