"""Indexes for searching inside payloads (history.where, the ``q`` search), PostgreSQL only.

``jsonb_path_ops`` GIN indexes serve ``where=input.email=ada@acme.io`` (jsonb containment);
trigram indexes on the payloads' JSON text serve ``q``, as 0004's do for the error message.
They are built CONCURRENTLY, so a large table keeps taking writes while they build; SQLite,
the embedded default, has no such index and scans.
"""

from __future__ import annotations

from django.db import migrations

INDEXES = {
    "history_run_input_gin": "USING gin (input jsonb_path_ops)",
    "history_run_output_gin": "USING gin (output jsonb_path_ops)",
    "history_run_error_gin": "USING gin (error jsonb_path_ops)",
    "history_run_input_trgm": "USING gin (UPPER((input)::text) gin_trgm_ops)",
    "history_run_output_trgm": "USING gin (UPPER((output)::text) gin_trgm_ops)",
}
CREATE = [
    f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON history_run {how}"
    for name, how in INDEXES.items()
]
DROP = [f"DROP INDEX CONCURRENTLY IF EXISTS {name}" for name in INDEXES]


def run_on_postgres(statements: list[str]):  # noqa: ANN201
    def apply(apps, schema_editor):  # noqa: ANN001, ANN202
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("history", "0018_trace_timeline_indexes")]

    operations = [migrations.RunPython(run_on_postgres(CREATE), run_on_postgres(DROP))]
