"""The fingerprint of a failed run's error (history.fingerprints), and the indexes Failures and the
counts read.

The column has a database default, so processes of the previous release, which insert runs
without it, keep working during a rolling deploy. The indexes are built CONCURRENTLY on
PostgreSQL, so a large table keeps taking writes while they build (hence ``atomic = False``);
the models' Meta indexes match them through SeparateDatabaseAndState.
"""

from __future__ import annotations

from django.db import migrations, models

INDEXES = [
    models.Index(
        fields=["organization", "slug", "status", "kind"], name="history_run_org_slug_status"
    ),
    models.Index(
        condition=models.Q(("status", "failed")),
        fields=["organization", "error_fingerprint", "-finished_at", "-id"],
        name="history_run_org_fingerprint",
    ),
]


def add_indexes(apps, schema_editor):  # noqa: ANN001, ANN201
    run = apps.get_model("history", "Run")
    for index in INDEXES:
        if schema_editor.connection.vendor == "postgresql":
            # A build that was interrupted leaves an invalid index behind: start it again.
            schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {index.name}")
            schema_editor.add_index(run, index, concurrently=True)
        else:
            schema_editor.add_index(run, index)


def remove_indexes(apps, schema_editor):  # noqa: ANN001, ANN201
    run = apps.get_model("history", "Run")
    for index in INDEXES:
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.remove_index(run, index, concurrently=True)
        else:
            schema_editor.remove_index(run, index)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [("history", "0019_run_payload_indexes")]

    operations = [
        migrations.AddField(
            model_name="run",
            name="error_fingerprint",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="The error type and message with numbers, ids and quoted text left out.",
                max_length=16,
            ),
        ),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(model_name="run", index=index) for index in INDEXES
            ],
            database_operations=[migrations.RunPython(add_indexes, remove_indexes)],
        ),
    ]
