"""What the database knows of the project's triggers: they are defined in code, switched
on and off and tracked here, per organization."""

from __future__ import annotations

from django.db import models
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone


class TriggerState(models.Model):
    """One trigger (key = its slug) or one attachment (key = ``<trigger>:<target>``) in an
    organization.
    """

    organization = models.ForeignKey(
        "history.Organization", on_delete=models.CASCADE, related_name="triggers"
    )
    key = models.CharField(
        max_length=210, help_text="A trigger's slug, or an attachment's <trigger>:<target>."
    )
    enabled = models.BooleanField(default=True)
    secret = models.CharField(
        max_length=200,
        blank=True,
        help_text="A webhook's secret: its ?token= and HMAC key, or the sender's signing secret.",
    )
    cursor = models.JSONField(null=True, blank=True, help_text="A poll's saved state.")
    last_slot = models.DateTimeField(
        null=True, blank=True, help_text="The last cron slot a schedule or poll took."
    )
    last_fired_at = models.DateTimeField(null=True, blank=True)
    last_run = models.ForeignKey(
        "history.Run", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_error = models.TextField(
        blank=True, help_text="Why the last poll failed; empty after a good one."
    )
    last_error_at = models.DateTimeField(null=True, blank=True)
    last_skipped_slot = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The last slot an attachment let pass because its target was paused.",
    )
    last_skip_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="history_trigger_org_key")
        ]
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class TriggerDelivery(models.Model):
    """A request with an Idempotency-Key (a webhook delivery, or an API start under trigger
    ``api``): a repeat answers what the first one did."""

    organization = models.ForeignKey(
        "history.Organization", on_delete=models.CASCADE, related_name="+"
    )
    trigger = models.CharField(max_length=100)
    key = models.CharField(max_length=200)
    response = models.JSONField(default=dict)
    status_code = models.PositiveSmallIntegerField(default=202)
    request_digest = models.CharField(
        max_length=64,
        blank=True,
        default="",
        help_text="SHA-256 of what was asked, so a key reused for another request is refused.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "trigger", "key"], name="history_delivery_unique_key"
            )
        ]
        indexes = [
            # Used by the retention prune: deliveries past their idempotency window, oldest first,
            # and the deliveries that answered with a run being deleted.
            models.Index(fields=["created_at"], name="history_delivery_created"),
            models.Index(KeyTextTransform("run_id", "response"), name="history_delivery_run"),
        ]

    def __str__(self) -> str:
        return f"{self.trigger} {self.key}"
