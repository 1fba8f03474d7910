"""Paused workflows and agents: one row per paused slug and organization, gone on resume."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class WorkflowPause(models.Model):
    """While this row exists, no worker picks up a queued run of ``slug`` in ``organization``."""

    organization = models.ForeignKey(
        "history.Organization", on_delete=models.CASCADE, related_name="pauses"
    )
    slug = models.CharField(max_length=100, help_text="The paused workflow's or agent's slug.")
    paused_by = models.CharField(max_length=200, help_text="Who paused it.")
    paused_at = models.DateTimeField("since", default=timezone.now)
    reason = models.CharField(max_length=500, blank=True, help_text="Why, as the pauser said.")

    class Meta:
        constraints = [
            # Used by the worker's claim and the sweeper (workflows.store), which look up the
            # pause of a run's workflow in its organization.
            models.UniqueConstraint(fields=["organization", "slug"], name="history_pause_org_slug")
        ]
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.slug} paused by {self.paused_by}"
