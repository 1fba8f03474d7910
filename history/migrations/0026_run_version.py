"""The project version each run was started on (workflows.versions), and the marker steps of
``ctx.patched`` (a choice only: no change in the database).

The column has a database default, so processes of the previous release, which insert runs
without it, keep working during a rolling deploy; runs created before it have no version ("").
The ``version=`` filter's index is built by the next migration, on its own: a concurrent build
that fails leaves this one applied, and running ``migrate`` again starts only the build again.
"""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("history", "0025_notify_run_settled")]

    operations = [
        migrations.AddField(
            model_name="run",
            name="version",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="The project version the run was started on.",
                max_length=64,
            ),
        ),
        migrations.AlterField(
            model_name="step",
            name="kind",
            field=models.CharField(
                choices=[
                    ("action", "Action"),
                    ("workflow", "Child workflow"),
                    ("agent", "Agent"),
                    ("llm", "LLM call"),
                    ("model", "Model call"),
                    ("sleep", "Sleep"),
                    ("hook", "Hook"),
                    ("now", "Clock"),
                    ("uuid", "UUID"),
                    ("patch", "Patch marker"),
                ],
                max_length=16,
            ),
        ),
    ]
