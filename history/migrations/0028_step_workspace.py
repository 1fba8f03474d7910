"""The workspace digest of each step, and whether a run has a workspace
(define_workflow(workspace=True)).

A database default, so workers of the previous release, whose insert does not name the column,
keep working during a rolling deploy.
"""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("history", "0027_run_version_index")]

    operations = [
        migrations.AddField(
            model_name="step",
            name="workspace_seq",
            field=models.PositiveIntegerField(
                db_default=0,
                default=0,
                help_text="The number of that workspace state in the run; the highest is the latest.",
            ),
        ),
        migrations.AddField(
            model_name="run",
            name="has_workspace",
            field=models.BooleanField(
                db_default=False,
                default=False,
                help_text="Whether its workflow gives it a workspace folder (History's Workspace tab).",
            ),
        ),
        migrations.AddField(
            model_name="step",
            name="workspace",
            field=models.CharField(
                blank=True,
                db_default="",
                default="",
                help_text="Digest of the run's workspace after this step (empty: none stored).",
                max_length=64,
            ),
        ),
    ]
