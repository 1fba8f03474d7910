"""Fewer index entries per run and per step.

A status change of a run (claim, finish) is not a HOT update, so it writes an entry in every
index of the run's row; every recorded step, span and log line writes one in each of its table's.

* Foreign-key indexes that a composite index already starts with go: the run's organization,
  and the run of a step, span or log record.
* Nullable foreign keys are indexed where set only: a run's actor, parent and rerun, a step's
  child run, a usage line's step. Most rows have none.
* The error's payload indexes (0004, 0019) and the output's trigram index hold the runs that
  have one: a run has neither while it runs, and a successful one has no error.

Queries that compare a column imply it is set, so the planner uses the partial indexes as it
used the full ones. On PostgreSQL the indexes are built CONCURRENTLY before the old ones are
dropped, so a large table keeps taking writes.
"""

from __future__ import annotations

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# (table, column, name of its partial index)
WHERE_SET = [
    ("history_run", "actor_user_id", "history_run_actor_user"),
    ("history_run", "actor_api_key_id", "history_run_actor_api_key"),
    ("history_run", "parent_id", "history_run_parent"),
    ("history_run", "rerun_of_id", "history_run_rerun_of"),
    ("history_step", "child_run_id", "history_step_child_run"),
    ("history_usageitem", "step_id", "history_usage_step"),
]
COVERED = [
    ("history_run", "organization_id"),
    ("history_step", "run_id"),
    ("history_span", "run_id"),
    ("history_logrecord", "run_id"),
]
# The output's containment index stays whole: as a partial one, a planner that finds few rows
# scans all of it for "output is set" rather than ask the output's trigram index.
PAYLOADS = {
    "history_run_output_trgm": "USING gin (UPPER((output)::text) gin_trgm_ops)",
    "history_run_error_gin": "USING gin (error jsonb_path_ops)",
    "history_run_error_trgm": "USING gin (UPPER((error ->> 'message')::text) gin_trgm_ops)",
}


def _statements(schema_editor, forwards: bool) -> list[str]:  # noqa: ANN001
    postgresql = schema_editor.connection.vendor == "postgresql"
    now = "CONCURRENTLY " if postgresql else ""

    def full(table: str, column: str) -> str:  # the name Django gave a foreign key's own index
        return schema_editor._create_index_name(table, [column])

    create, drop = [], []
    for table, column, partial in WHERE_SET:
        if forwards:
            # An interrupted run may have left it INVALID, which IF NOT EXISTS would keep.
            create.append(f"DROP INDEX {now}IF EXISTS {partial}")
            create.append(
                f"CREATE INDEX {now}{partial} ON {table} ({column}) WHERE {column} IS NOT NULL"
            )
            drop.append(f"DROP INDEX {now}IF EXISTS {full(table, column)}")
        else:
            create.append(
                f"CREATE INDEX {now}IF NOT EXISTS {full(table, column)} ON {table} ({column})"
            )
            drop.append(f"DROP INDEX {now}IF EXISTS {partial}")
    for table, column in COVERED:
        if forwards:
            drop.append(f"DROP INDEX {now}IF EXISTS {full(table, column)}")
        else:
            create.append(
                f"CREATE INDEX {now}IF NOT EXISTS {full(table, column)} ON {table} ({column})"
            )
    if postgresql:
        for name, how in PAYLOADS.items():
            column = "output" if "output" in name else "error"
            where = f" WHERE {column} IS NOT NULL" if forwards else ""
            # Built beside the old one (after what an interrupted run left), which then gives way
            # to it under its name.
            create += [
                f"DROP INDEX CONCURRENTLY IF EXISTS {name}_new",
                f"CREATE INDEX CONCURRENTLY {name}_new ON history_run {how}{where}",
            ]
            drop += [
                f"DROP INDEX CONCURRENTLY IF EXISTS {name}",
                f"ALTER INDEX {name}_new RENAME TO {name}",
            ]
    return create + drop


def forwards(apps, schema_editor):  # noqa: ANN001, ANN201
    for statement in _statements(schema_editor, forwards=True):
        schema_editor.execute(statement)


def backwards(apps, schema_editor):  # noqa: ANN001, ANN201
    for statement in _statements(schema_editor, forwards=False):
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run inside a transaction

    dependencies = [
        ("history", "0021_fill_error_fingerprint"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="logrecord",
                    name="run",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="log_records",
                        to="history.run",
                    ),
                ),
                migrations.AlterField(
                    model_name="run",
                    name="actor_api_key",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="history.apikey",
                    ),
                ),
                migrations.AlterField(
                    model_name="run",
                    name="actor_user",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="run",
                    name="organization",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="runs",
                        to="history.organization",
                    ),
                ),
                migrations.AlterField(
                    model_name="run",
                    name="parent",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="children",
                        to="history.run",
                    ),
                ),
                migrations.AlterField(
                    model_name="run",
                    name="rerun_of",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="reruns",
                        to="history.run",
                    ),
                ),
                migrations.AlterField(
                    model_name="span",
                    name="run",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="spans",
                        to="history.run",
                    ),
                ),
                migrations.AlterField(
                    model_name="step",
                    name="child_run",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="parent_steps",
                        to="history.run",
                    ),
                ),
                migrations.AlterField(
                    model_name="step",
                    name="run",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="steps",
                        to="history.run",
                    ),
                ),
                migrations.AlterField(
                    model_name="usageitem",
                    name="step",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="usage",
                        to="history.step",
                    ),
                ),
                migrations.AddIndex(
                    model_name="run",
                    index=models.Index(
                        condition=models.Q(("actor_user__isnull", False)),
                        fields=["actor_user"],
                        name="history_run_actor_user",
                    ),
                ),
                migrations.AddIndex(
                    model_name="run",
                    index=models.Index(
                        condition=models.Q(("actor_api_key__isnull", False)),
                        fields=["actor_api_key"],
                        name="history_run_actor_api_key",
                    ),
                ),
                migrations.AddIndex(
                    model_name="run",
                    index=models.Index(
                        condition=models.Q(("parent__isnull", False)),
                        fields=["parent"],
                        name="history_run_parent",
                    ),
                ),
                migrations.AddIndex(
                    model_name="run",
                    index=models.Index(
                        condition=models.Q(("rerun_of__isnull", False)),
                        fields=["rerun_of"],
                        name="history_run_rerun_of",
                    ),
                ),
                migrations.AddIndex(
                    model_name="step",
                    index=models.Index(
                        condition=models.Q(("child_run__isnull", False)),
                        fields=["child_run"],
                        name="history_step_child_run",
                    ),
                ),
                migrations.AddIndex(
                    model_name="usageitem",
                    index=models.Index(
                        condition=models.Q(("step__isnull", False)),
                        fields=["step"],
                        name="history_usage_step",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(forwards, backwards)],
        )
    ]
