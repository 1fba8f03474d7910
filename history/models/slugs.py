"""The workflows and agents each organization has run: the filter bar's choices besides the
registry's, so the list never reads the runs to find them (a DISTINCT over millions of rows).
"""

from __future__ import annotations

from django.db import models

from .runs import Run


class RunSlug(models.Model):
    """One row per slug an organization has run, written by the store as it creates the first
    run of that slug (and by the seeder and migration 0024 for runs made otherwise)."""

    organization = models.ForeignKey(
        "history.Organization", on_delete=models.CASCADE, related_name="run_slugs"
    )
    slug = models.CharField(max_length=100, help_text="A workflow's or agent's slug.")
    kind = models.CharField("type", max_length=16, choices=Run.Kind.choices)
    first_seen = models.DateTimeField(help_text="When its first run here was created.")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "slug"], name="history_runslug_org_slug"
            )
        ]
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug
