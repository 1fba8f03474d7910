"""The deletes of the retention prune (``workflows.retention`` decides what goes), and its audit.

A batch of runs goes in one transaction, table by table by run id (every run_id column is
indexed), never through Django's collector, which loads each row before deleting it. Foreign
keys are checked at commit, so the order of the tables is free.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Q

from history.access import Actor
from history.models import AuditEvent, Organization, Run
from history.models.accounts import Role
from history.workspace_files import StorageBlobs

from . import dialect

logger = logging.getLogger("keystroke.retention")

_PRUNED_COLUMNS = ("id", "uid", "organization_id", "slug", "status", "finished_at")
_ROWS_OF_A_RUN = (
    ("usage", "history_usageitem"),
    ("steps", "history_step"),
    ("spans", "history_span"),
    ("logs", "history_logrecord"),
)
# SET_NULL links: a rerun, a trigger's last run and (defensively) a step outside the tree.
_LINKS_TO_A_RUN = (
    ("history_run", "rerun_of_id"),
    ("history_triggerstate", "last_run_id"),
    ("history_step", "child_run_id"),
)


def expired_roots_txn(
    status: str,
    before: datetime,
    only: tuple[str, ...],
    exclude: tuple[str, ...],
    after: tuple[datetime, int] | None,
    limit: int,
    lock: bool,
) -> list[Run]:
    """Top-level runs of ``status`` finished before ``before``, oldest first, past the ``after``
    cursor.

    Locked rows are skipped, not waited for: two prunes at once take different batches, and a
    run being retried is left for the next prune.
    """
    runs = Run.objects.filter(parent__isnull=True, status=status, finished_at__lt=before)
    if only:
        runs = runs.filter(slug__in=only)
    if exclude:
        runs = runs.exclude(slug__in=exclude)
    if after is not None:
        # finished_at >= starts the index range at the cursor; the OR breaks ties by id.
        finished, pk = after
        runs = runs.filter(Q(finished_at__gt=finished) | Q(pk__gt=pk), finished_at__gte=finished)
    if lock:
        runs = runs.select_for_update(skip_locked=True)
    return list(runs.only(*_PRUNED_COLUMNS).order_by("finished_at", "id")[:limit])


def run_descendants_txn(root_pks: list[int], lock: bool) -> tuple[list[Run], set[int]]:
    """Every child, grandchild… of these runs, each with ``root_id``, and the roots of busy trees.

    With ``lock``, the descendants are locked so none is retried meanwhile, skipping those a
    worker holds: waiting for them while holding their root could deadlock with that worker,
    which locks the child and then its parent. A tree with such a run is busy, and kept.
    One indexed look per generation (parent_id IN …) rather than a recursive CTE, whose work
    table the planner cannot size: it answered one with scans of the whole run table.
    """
    found: list[Run] = []
    busy: set[int] = set()
    root_of = {pk: pk for pk in root_pks}
    generation = list(root_pks)
    while generation:
        children = list(
            Run.objects.filter(parent_id__in=generation).only(*_PRUNED_COLUMNS, "parent_id")
        )
        if lock and children:
            ids = [child.pk for child in children]
            held = set(
                Run.objects.filter(pk__in=ids)
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)
            )
            busy |= {
                root_of[child.parent_id]
                for child in children
                if child.pk not in held and child.parent_id
            }
        generation = []
        for child in children:
            assert child.parent_id is not None  # found through parent_id__in
            child.root_id = root_of[child.pk] = root_of[child.parent_id]  # type: ignore[attr-defined]
            found.append(child)
            generation.append(child.pk)
    return found, busy


def delete_runs_txn(runs: list[Run], delivered_before: datetime) -> dict[tuple[int, str], int]:
    """Delete whole trees of runs with every row that belongs to them; the rows by organization and
    kind.

    The deliveries that answered with one of these runs go with them if made before
    ``delivered_before``.
    """
    counts = _rows_of_runs(runs, delivered_before, None, delete=True)
    pks = [run.pk for run in runs]
    # Stored files are no part of the transaction: they go once the rows are gone for good.
    uids = [run.uid.hex for run in runs]
    transaction.on_commit(lambda: delete_workspaces(uids))
    with connection.cursor() as cursor:
        for table, column in _LINKS_TO_A_RUN:
            match, params = dialect.any_of(column, pks)
            cursor.execute(f"UPDATE {table} SET {column} = NULL WHERE {match}", params)
        match, params = dialect.any_of("id", pks)
        cursor.execute(f"DELETE FROM history_run WHERE {match}", params)
    return counts


def delete_workspaces(uids: list[str]) -> None:
    for uid in uids:
        try:
            StorageBlobs(uid).delete_all()
        except Exception:  # the storage away (a file system or S3 error): the others still go
            logger.exception("the workspace of run_%s could not be deleted; delete it by hand", uid)


def count_runs_rows(
    runs: list[Run], delivered_before: datetime, delivered_since: datetime
) -> dict[tuple[int, str], int]:
    """What ``delete_runs_txn`` would delete besides the runs, and delete nothing (a dry run).

    Deliveries made before ``delivered_since`` are left out: the age sweep counts them.
    """
    return _rows_of_runs(runs, delivered_before, delivered_since, delete=False)


def delete_old_deliveries_txn(before: datetime, limit: int) -> dict[int, int]:
    """Delete up to ``limit`` deliveries made before ``before``, oldest first; how many, by
    organization.
    """
    oldest = dialect.ids_from(
        "SELECT id FROM history_triggerdelivery WHERE created_at < %s ORDER BY created_at LIMIT %s"
    )
    return dialect.count_and_delete(
        "history_triggerdelivery", oldest, "organization_id", [dialect.when(before), limit]
    )


def count_old_deliveries(before: datetime) -> dict[int, int]:
    return _count_rows(
        "history_triggerdelivery", "created_at < %s", [dialect.when(before)], "organization_id"
    )


def _rows_of_runs(
    runs: list[Run], delivered_before: datetime, delivered_since: datetime | None, delete: bool
) -> dict[tuple[int, str], int]:
    take = _delete_rows if delete else _count_rows
    counts: dict[tuple[int, str], int] = {}
    organization_of = {run.pk: run.organization_id for run in runs}
    match, params = dialect.any_of("run_id", list(organization_of))
    for kind, table in _ROWS_OF_A_RUN:
        for run_pk, n in take(table, match, params, "run_id").items():
            key = (organization_of[run_pk], kind)
            counts[key] = counts.get(key, 0) + n
    # The run a delivery answered with: a webhook's first run, or an API start's run.
    answered = dialect.json_text("response", "run_id")
    match, params = dialect.any_of(answered, [run.public_id for run in runs])
    # Without a lower bound on created_at the planner looks the runs up in history_delivery_run
    # instead of filtering every delivery of the window.
    where, params = f"{match} AND created_at < %s", [*params, dialect.when(delivered_before)]
    if delivered_since is not None:
        where, params = f"{where} AND created_at >= %s", [*params, dialect.when(delivered_since)]
    for org, n in take("history_triggerdelivery", where, params, "organization_id").items():
        counts[org, "deliveries"] = n
    return counts


def _delete_rows(table: str, where: str, params: list[Any], key: str) -> dict[int, int]:
    return dialect.count_and_delete(table, where, key, params)


def _count_rows(table: str, where: str, params: list[Any], key: str) -> dict[int, int]:
    """How many rows of ``table`` match ``where``, by ``key`` (a column); a dry run's count."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {key}, count(*) FROM {table} WHERE {where} GROUP BY {key}", params)
        return dict(cursor.fetchall())


def audit_prune_txn(organization_id: int, counts: dict[str, Any], audit_pk: int | None) -> int:
    """The organization's audit record of this prune, made by its first batch and brought up to
    date by the next ones, so a prune that dies half-way leaves the counts of the batches it
    committed; its primary key.
    """
    if audit_pk is not None:
        AuditEvent.objects.filter(pk=audit_pk).update(details=counts)
        return audit_pk
    actor = Actor(Organization.objects.get(pk=organization_id), Role.ADMIN, "retention")
    return actor.audit("runs.prune", "runs", **counts).pk
