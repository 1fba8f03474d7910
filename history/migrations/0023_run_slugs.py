"""The slugs each organization has run (history.models.RunSlug): the filter bar's workflow and
agent choices, besides the registry's, without a DISTINCT over every run. Migration 0024 fills it.
"""

from __future__ import annotations

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("history", "0022_fewer_index_entries")]

    operations = [
        migrations.CreateModel(
            name="RunSlug",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "slug",
                    models.CharField(help_text="A workflow's or agent's slug.", max_length=100),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[("workflow", "Workflow"), ("agent", "Agent")],
                        max_length=16,
                        verbose_name="type",
                    ),
                ),
                (
                    "first_seen",
                    models.DateTimeField(help_text="When its first run here was created."),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="run_slugs",
                        to="history.organization",
                    ),
                ),
            ],
            options={
                "ordering": ["slug"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("organization", "slug"), name="history_runslug_org_slug"
                    )
                ],
            },
        ),
    ]
