from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("history", "0019_run_payload_indexes")]

    operations = [
        migrations.AddField(
            model_name="run",
            name="error_fingerprint",
            field=models.CharField(
                blank=True,
                default="",
                help_text="The error type and message with numbers, ids and quoted text left out.",
                max_length=16,
            ),
        ),
        migrations.AddIndex(
            model_name="run",
            index=models.Index(
                fields=["organization", "slug", "status", "kind"],
                name="history_run_org_slug_status",
            ),
        ),
        migrations.AddIndex(
            model_name="run",
            index=models.Index(
                condition=models.Q(("status", "failed")),
                fields=["organization", "error_fingerprint", "-created_at", "-id"],
                name="history_run_org_fingerprint",
            ),
        ),
    ]
