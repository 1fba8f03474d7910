"""Where PostgreSQL and the portable path (SQLite, which ``make lint`` and a smoke test use) part.

The store asks here and nowhere else which database it talks to. On PostgreSQL it sends
prepared statements through a plain psycopg cursor, finds rows by array parameters and counts
what a DELETE removed from its RETURNING rows; the portable path says the same in plain SQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial, reduce
from typing import Any

import psycopg
from django.db import connection


def on_postgresql() -> bool:
    return connection.vendor == "postgresql"


def pick(postgresql: str, portable: str) -> str:
    """The SQL for the database in use."""
    return postgresql if on_postgresql() else portable


def fetch_prepared(sql: str, params: Sequence[Any] | Mapping[str, Any]) -> tuple[Any, ...] | None:
    """Run ``sql`` as a statement PostgreSQL prepares once per connection; its first row."""
    with _prepared_cursor() as cursor:
        _execute(cursor, sql, params)
        return cursor.fetchone()


def execute_prepared(statements: list[tuple[str, list[Any]]]) -> None:
    with _prepared_cursor() as cursor:
        for sql, params in statements:
            _execute(cursor, sql, params)


@contextmanager
def _prepared_cursor() -> Iterator[psycopg.Cursor[Any]]:
    connection.ensure_connection()
    # Django's cursors bind on the client and cannot prepare; a plain psycopg cursor can.
    with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
        yield cursor


def _execute(
    cursor: psycopg.Cursor[Any], sql: str, params: Sequence[Any] | Mapping[str, Any]
) -> None:
    """Execute through the connection's execute wrappers, as Django's own cursors do, so that
    whoever counts statements (a test, the benchmark) sees these too.
    """

    def run(sql: str, params: Any, many: bool, context: dict[str, Any]) -> None:
        cursor.execute(sql, params, prepare=True)

    execute = reduce(
        lambda inner, wrapper: partial(wrapper, inner), connection.execute_wrappers, run
    )
    execute(sql, params, False, {"connection": connection, "cursor": cursor})


def any_of(column: str, values: list[Any]) -> tuple[str, list[Any]]:
    """``column`` is one of ``values``: one array parameter on PostgreSQL, a placeholder per value
    elsewhere.
    """
    if on_postgresql():
        return f"{column} = ANY(%s)", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def ids_from(select: str) -> str:
    """``id`` is one of the ids ``select`` finds; on PostgreSQL, skipping rows locked by others."""
    if on_postgresql():
        # ARRAY(…) is computed once, so the statement finds its rows by primary key, not by a
        # hash join.
        return f"id = ANY(ARRAY({select} FOR UPDATE SKIP LOCKED))"
    return f"id IN ({select})"


def json_text(column: str, key: str) -> str:
    """The text of ``column``'s top-level ``key``: the PostgreSQL form matches expression indexes
    such as history_delivery_run.
    """
    if on_postgresql():
        return f"({column} ->> '{key}')"
    return f"json_extract({column}, '$.{key}')"


def count_and_delete(table: str, where: str, key: str, params: list[Any]) -> dict[Any, int]:
    """Delete the rows of ``table`` matching ``where``; how many went, by the column ``key``.

    On PostgreSQL one statement does both: DELETE … RETURNING feeds the count.
    """
    with connection.cursor() as cursor:
        if on_postgresql():
            cursor.execute(
                f"WITH gone AS (DELETE FROM {table} WHERE {where} RETURNING {key}) "
                f"SELECT {key}, count(*) FROM gone GROUP BY {key}",
                params,
            )
            return dict(cursor.fetchall())
        cursor.execute(f"SELECT {key}, count(*) FROM {table} WHERE {where} GROUP BY {key}", params)
        counts = dict(cursor.fetchall())
        if counts:
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)
        return counts


def when(moment: Any) -> Any:
    """A datetime as a raw SQL parameter of the database in use."""
    return connection.ops.adapt_datetimefield_value(moment)
