from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One state change made by a person, a key or a trigger."""

    organization = models.ForeignKey(
        "history.Organization", on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.CharField(
        max_length=200, help_text="Who made the change: a user, an API key or a trigger."
    )
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_api_key = models.ForeignKey(
        "history.ApiKey", null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=200, help_text="What was changed, e.g. a run id.")
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            # Used by the admin's audit list, newest first.
            models.Index(fields=["organization", "-created_at"], name="history_audit_org_created"),
        ]

    def __str__(self) -> str:
        return f"{self.actor} {self.action} {self.target}"
