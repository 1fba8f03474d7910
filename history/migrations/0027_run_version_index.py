"""The index the ``version=`` filter reads.

Built CONCURRENTLY on PostgreSQL, so a large table keeps taking writes while it builds (hence
``atomic = False``); the model's Meta index matches it through SeparateDatabaseAndState.
"""

from __future__ import annotations

from django.db import migrations, models

INDEX = models.Index(
    fields=["organization", "version", "-created_at", "-id"], name="history_run_org_version"
)


def add_index(apps, schema_editor):  # noqa: ANN001, ANN201
    run = apps.get_model("history", "Run")
    if schema_editor.connection.vendor == "postgresql":
        # A build that was interrupted leaves an invalid index behind: start it again.
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX.name}")
        schema_editor.add_index(run, INDEX, concurrently=True)
    else:
        schema_editor.add_index(run, INDEX)


def remove_index(apps, schema_editor):  # noqa: ANN001, ANN201
    run = apps.get_model("history", "Run")
    concurrently = schema_editor.connection.vendor == "postgresql"
    schema_editor.remove_index(run, INDEX, **({"concurrently": True} if concurrently else {}))


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("history", "0026_run_version")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.AddIndex(model_name="run", index=INDEX)],
            database_operations=[migrations.RunPython(add_index, remove_index)],
        ),
    ]
