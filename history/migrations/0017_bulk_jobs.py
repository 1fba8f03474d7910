import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0016_retry_from_step"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="BulkJob",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("uid", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                (
                    "action",
                    models.CharField(
                        choices=[("cancel", "Cancel"), ("retry", "Retry")], max_length=16
                    ),
                ),
                (
                    "filter",
                    models.JSONField(
                        blank=True,
                        default=dict,
                        help_text="The run filter, as GET /api/runs takes it.",
                    ),
                ),
                (
                    "reason",
                    models.TextField(help_text="Why, as the person who started it gave it."),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("queued", "Queued"),
                            ("running", "Running"),
                            ("stopped", "Stopped"),
                            ("finished", "Finished"),
                            ("failed", "Failed"),
                        ],
                        default="queued",
                        max_length=16,
                    ),
                ),
                (
                    "count",
                    models.PositiveIntegerField(
                        help_text="Runs the filter matched in a state the action applies to, when it started."
                    ),
                ),
                (
                    "processed",
                    models.PositiveIntegerField(
                        default=0, help_text="Runs the batches went through."
                    ),
                ),
                (
                    "changed",
                    models.PositiveIntegerField(default=0, help_text="Runs canceled or retried."),
                ),
                (
                    "skipped",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="Counted runs that no longer qualified when their batch came.",
                    ),
                ),
                ("batches", models.PositiveIntegerField(default=0, help_text="Batches committed.")),
                (
                    "cursor",
                    models.BigIntegerField(
                        default=0, help_text="The last run a batch went through."
                    ),
                ),
                (
                    "upper_pk",
                    models.BigIntegerField(help_text="The newest run when the job was made."),
                ),
                (
                    "error",
                    models.TextField(blank=True, help_text="Why the job failed, when it did."),
                ),
                ("created_by", models.CharField(help_text="Who started it.", max_length=200)),
                ("stopped_by", models.CharField(blank=True, max_length=200)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("started_at", models.DateTimeField(blank=True, null=True)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "updated_at",
                    models.DateTimeField(
                        default=django.utils.timezone.now,
                        help_text="When a batch last committed (the sweeper's clock).",
                    ),
                ),
                (
                    "created_by_api_key",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="history.apikey",
                    ),
                ),
                (
                    "created_by_user",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "organization",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="bulk_jobs",
                        to="history.organization",
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(
                        fields=["organization", "-created_at"], name="history_bulk_org_created"
                    ),
                    models.Index(
                        condition=models.Q(("status__in", ["queued", "running"])),
                        fields=["updated_at"],
                        name="history_bulk_active",
                    ),
                ],
            },
        ),
    ]
