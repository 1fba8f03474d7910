"""Trigram indexes for History's free-text search (error message and slug), PostgreSQL only.

They match the SQL that ``icontains`` produces, so a search for a rare word stays an index
lookup at millions of runs. SQLite, the embedded default, has no such index and scans.
"""

from __future__ import annotations

from django.db import migrations

CREATE = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS history_run_error_trgm ON history_run "
    "USING gin (UPPER((error ->> 'message')::text) gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS history_run_slug_trgm ON history_run USING gin (UPPER(slug::text) gin_trgm_ops)",
]
DROP = ["DROP INDEX IF EXISTS history_run_error_trgm", "DROP INDEX IF EXISTS history_run_slug_trgm"]


def run_on_postgres(statements: list[str]):  # noqa: ANN201
    def apply(apps, schema_editor):  # noqa: ANN001, ANN202
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return apply


class Migration(migrations.Migration):
    dependencies = [("history", "0003_add_saved_view")]

    operations = [migrations.RunPython(run_on_postgres(CREATE), run_on_postgres(DROP))]
