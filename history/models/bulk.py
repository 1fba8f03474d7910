from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

BULK_ID_PREFIX = "bulk_"


def parse_bulk_id(public_id: str) -> uuid.UUID:
    """Turn ``bulk_<32 hex>`` into the job's UUID, or raise ValueError saying what is wrong."""
    problem = f"{public_id!r} is not a bulk job id: they look like bulk_<32 hex digits>."
    if not public_id.startswith(BULK_ID_PREFIX):
        raise ValueError(problem)
    try:
        return uuid.UUID(hex=public_id[len(BULK_ID_PREFIX) :])
    except ValueError:
        raise ValueError(problem) from None


class BulkJob(models.Model):
    """Cancel or retry of every run a filter matched, done in the background, batch by batch.

    ``upper_pk`` is the newest run when the job was made: runs created later are never touched.
    ``cursor`` is the last run a committed batch went through (runs are taken in primary key
    order), so a batch message names the cursor it starts from and a repeated one does nothing.
    """

    class Action(models.TextChoices):
        CANCEL = "cancel", "Cancel"
        RETRY = "retry", "Retry"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        STOPPED = "stopped", "Stopped"
        FINISHED = "finished", "Finished"
        FAILED = "failed", "Failed"

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    uid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        "history.Organization", on_delete=models.CASCADE, related_name="bulk_jobs"
    )
    action = models.CharField(max_length=16, choices=Action.choices)
    filter = models.JSONField(
        default=dict, blank=True, help_text="The run filter, as GET /api/runs takes it."
    )
    reason = models.TextField(help_text="Why, as the person who started it gave it.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    count = models.PositiveIntegerField(
        help_text="Runs the filter matched in a state the action applies to, when it started."
    )
    processed = models.PositiveIntegerField(default=0, help_text="Runs the batches went through.")
    changed = models.PositiveIntegerField(default=0, help_text="Runs canceled or retried.")
    skipped = models.PositiveIntegerField(
        default=0, help_text="Counted runs that no longer qualified when their batch came."
    )
    batches = models.PositiveIntegerField(default=0, help_text="Batches committed.")
    cursor = models.BigIntegerField(default=0, help_text="The last run a batch went through.")
    upper_pk = models.BigIntegerField(help_text="The newest run when the job was made.")
    error = models.TextField(blank=True, help_text="Why the job failed, when it did.")

    created_by = models.CharField(max_length=200, help_text="Who started it.")
    created_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_by_api_key = models.ForeignKey(
        "history.ApiKey", null=True, blank=True, on_delete=models.SET_NULL
    )
    stopped_by = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(
        default=timezone.now, help_text="When a batch last committed (the sweeper's clock)."
    )

    class Meta:
        indexes = [
            # Used by the bulk job lists of History and GET /api/runs/bulk, newest first.
            models.Index(fields=["organization", "-created_at"], name="history_bulk_org_created"),
            # Used by workflows.store.bulk.stale_job_ids() (the sweeper).
            models.Index(
                fields=["updated_at"],
                name="history_bulk_active",
                condition=Q(status__in=["queued", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.action} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("history:bulk-job", args=[self.public_id])

    @property
    def public_id(self) -> str:
        return f"{BULK_ID_PREFIX}{self.uid.hex}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def done(self) -> int:
        """Counted runs dealt with so far, for a progress bar: never past ``count``."""
        return min(self.count, self.changed + self.skipped)

    @property
    def percent(self) -> int:
        return 100 if not self.count else self.done * 100 // self.count
