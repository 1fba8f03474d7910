"""How many runs of each status a filter matches: exact up to COUNT_CAP, then estimated.

Counting every match is a scan of millions of index entries at 10 M runs. On PostgreSQL each
status is counted up to COUNT_CAP + 1 matches (a LIMIT inside the count, served by the
(organization, status, created_at) and (organization, slug, status, kind) indexes), all statuses
in one statement; a status past the cap gets the planner's row estimate of the same filtered
query instead, all of them from one EXPLAIN. SQLite, the small embedded default, counts exactly.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Count, QuerySet

from .models import Run

COUNT_CAP = 10_000
# The order of History's count links: what is going on first.
STATUSES = tuple(Run.Status)


@dataclass(frozen=True)
class StatusCount:
    status: str
    label: str
    count: int  # exact, or COUNT_CAP when there are more
    exact: bool
    estimate: int | None  # the planner's estimate when past the cap and it says more

    @property
    def shown(self) -> int:
        return self.count if self.exact else max(self.estimate or 0, self.count)


@dataclass(frozen=True)
class Counts:
    statuses: list[StatusCount]
    cap: int

    @property
    def total(self) -> int:
        return sum(c.shown for c in self.statuses)

    @property
    def exact(self) -> bool:
        return all(c.exact for c in self.statuses)


def count_by_status(runs: QuerySet[Run]) -> Counts:
    """The counts per status of ``runs`` (already scoped and filtered), in STATUSES order."""
    runs = runs.order_by()
    if connection.vendor != "postgresql":
        found = dict(runs.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
        rows = [StatusCount(s, s.label, found.get(s, 0), True, None) for s in STATUSES]
        return Counts(rows, COUNT_CAP)
    capped = _capped_counts(runs)
    over = [s for s in STATUSES if capped[s] > COUNT_CAP]
    estimates = _estimates(runs, over) if over else {}
    rows = []
    for status in STATUSES:
        if status in over:
            guess = estimates.get(status)
            estimate = guess if guess is not None and guess > COUNT_CAP else None
            rows.append(StatusCount(status, status.label, COUNT_CAP, False, estimate))
        else:
            rows.append(StatusCount(status, status.label, capped[status], True, None))
    return Counts(rows, COUNT_CAP)


def _sql(runs: QuerySet[Any]) -> tuple[str, tuple[Any, ...]]:
    sql, params = runs.query.sql_with_params()
    return sql, tuple(params)


def _capped_counts(runs: QuerySet[Run]) -> dict[str, int]:
    parts: list[str] = []
    params: list[Any] = []
    for position, status in enumerate(STATUSES):
        sql, part_params = _sql(runs.filter(status=status).values_list("pk")[: COUNT_CAP + 1])
        # The position, not the status, names the row: a literal needs no parameter type.
        parts.append(f"SELECT {position}, (SELECT count(*) FROM ({sql}) AS capped)")
        params += part_params
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(parts), params)
        return {STATUSES[position]: count for position, count in cursor.fetchall()}


def _estimates(runs: QuerySet[Run], statuses: Sequence[str]) -> dict[str, int]:
    """The planner's rows for each status, from one plan whose branches are in ``statuses``'
    order; none if the planner merged or dropped a branch."""
    parts: list[str] = []
    params: list[Any] = []
    for status in statuses:
        sql, part_params = _sql(runs.filter(status=status).values_list("pk"))
        parts.append(f"({sql})")
        params += part_params
    plan = _serial_plan(f"EXPLAIN (FORMAT JSON) {' UNION ALL '.join(parts)}", params)
    top = (json.loads(plan) if isinstance(plan, str) else plan)[0]["Plan"]
    branches = top.get("Plans", []) if len(statuses) > 1 else [top]
    if len(branches) != len(statuses):
        return {}
    return {status: int(b["Plan Rows"]) for status, b in zip(statuses, branches, strict=True)}


class _Undo(Exception):
    pass


def _serial_plan(explain: str, params: Sequence[Any]) -> Any:
    """The plan without parallel workers: a parallel one is Gather -> Parallel Append with rows
    per worker, not an Append with one branch per status. The savepoint is rolled back so that
    the setting ends with it, inside an enclosing transaction too."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            cursor.execute(explain, params)
            plan = cursor.fetchone()[0]
            raise _Undo
    except _Undo:
        pass
    return plan


def rounded(value: int, above: int = 0) -> int:
    """An estimate to two significant digits: 71,234 shows as 71,000; with more digits where two
    would read as ``above`` or less (10,049 past a cap of 10,000 shows as 10,050, not 10,000)."""
    digits = len(str(value))
    if digits <= 2:
        return value
    step = 10 ** (digits - 2)
    while step > 1 and round(value / step) * step <= above:
        step //= 10  # one more digit, until the estimate reads as more than the cap
    return round(value / step) * step
