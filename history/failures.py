"""Failed runs grouped by fingerprint (history.fingerprints): how often each kind of failure
happened, when first and last (when the runs failed: finished_at), and one run that shows it.

The grouping reads only the partial index history_run_org_fingerprint when no other filter
applies; the page's representatives (the latest recorded run of each group) come in one more query.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Left
from django.http import QueryDict

from .fingerprints import error_pattern
from .listing import PREVIEW_CHARS, short_text
from .models import Run
from .models.runs import RUN_ID_PREFIX

PAGE_SIZE = 25
PAGE_ERROR = "page must be a whole number from 1, e.g. page=2."


@dataclass(frozen=True)
class FailureGroup:
    fingerprint: str
    error_type: str
    message: str  # of the group's latest recorded run, cut to PREVIEW_CHARS
    count: int
    first_seen: datetime
    last_seen: datetime
    run_id: str  # the public id of that run; "" if it was pruned meanwhile

    @property
    def pattern(self) -> str:
        return error_pattern(self.message)


@dataclass(frozen=True)
class FailurePage:
    groups: list[FailureGroup]
    number: int
    has_next: bool


def page_number(query: Mapping[str, Any]) -> int | None:
    """The ``page`` asked for, 1 without one; None when it is no page number."""
    raw = str(query.get("page", "1")).strip() or "1"
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 and int(raw) > 0 else None


def failure_filters(query: QueryDict) -> QueryDict:
    """The list's filters as Failures takes them: every one but the status, always failed."""
    data = query.copy()
    data.pop("status", None)
    return data


def failed_runs(runs: QuerySet[Run]) -> QuerySet[Run]:
    return runs.filter(status=Run.Status.FAILED).exclude(error_fingerprint="")


def failure_groups(runs: QuerySet[Run], number: int = 1) -> FailurePage:
    """Page ``number`` (from 1) of the groups of ``runs`` (already scoped and filtered), the most
    frequent first."""
    grouped = (
        failed_runs(runs)
        .order_by()
        .values("error_fingerprint")
        .annotate(
            count=Count("pk"),
            # When the runs failed: a run queued long ago that failed today was seen today.
            first_seen=Min("finished_at"),
            last_seen=Max("finished_at"),
            latest=Max("pk"),
        )
        .order_by("-count", "-last_seen", "error_fingerprint")
    )
    start = (number - 1) * PAGE_SIZE
    rows = list(grouped[start : start + PAGE_SIZE + 1])
    shown = rows[:PAGE_SIZE]
    examples = {
        pk: (uid, error_type, message)
        for pk, uid, error_type, message in Run.objects.filter(pk__in=[r["latest"] for r in shown])
        .annotate(
            error_type=KT("error__type"), error_message=Left(KT("error__message"), PREVIEW_CHARS)
        )
        .values_list("pk", "uid", "error_type", "error_message")
    }
    groups = []
    for row in shown:
        # A run pruned between the two statements leaves its group without an example.
        uid, error_type, message = examples.get(row["latest"], (None, None, None))
        groups.append(
            FailureGroup(
                fingerprint=row["error_fingerprint"],
                error_type=error_type or "",
                message=short_text(message) or "",
                count=row["count"],
                first_seen=row["first_seen"],
                last_seen=row["last_seen"],
                run_id=f"{RUN_ID_PREFIX}{uid.hex}" if uid else "",
            )
        )
    return FailurePage(groups, number, has_next=len(rows) > PAGE_SIZE)
