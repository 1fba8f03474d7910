from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils import timezone


class UsageItem(models.Model):
    """A priced line of a run's bill: its duration, a model call, or a paid service call."""

    class Kind(models.TextChoices):
        DURATION = "duration", "Duration"
        MODEL = "model", "Model call"
        SERVICE = "service", "Service call"

    run = models.ForeignKey("history.Run", on_delete=models.CASCADE, related_name="usage_items")
    step = models.ForeignKey(
        "history.Step",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="usage",
        db_index=False,  # indexed where set (Meta): a run's duration line has no step
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    provider = models.CharField(max_length=100, blank=True)
    model = models.CharField(max_length=200, blank=True)
    service = models.CharField(max_length=200, blank=True)
    tokens_in = models.PositiveIntegerField(default=0)
    tokens_out = models.PositiveIntegerField(default=0)
    quantity = models.DecimalField(max_digits=18, decimal_places=6, default=Decimal(0))
    unit = models.CharField(
        max_length=32, blank=True, help_text="What quantity counts, e.g. ms or calls."
    )
    unit_price_in = models.DecimalField(max_digits=18, decimal_places=12, default=Decimal(0))
    unit_price_out = models.DecimalField(max_digits=18, decimal_places=12, default=Decimal(0))
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal(0))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["step"], name="history_usage_step", condition=Q(step__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.model or self.service} {self.cost}"

    @property
    def model_name(self) -> str:
        """``openai:gpt-4o-mini``; the offline test model, which has no provider, as itself."""
        return f"{self.provider}:{self.model}" if self.provider else f"{self.model} (offline)"


class Span(models.Model):
    """An OpenTelemetry span recorded for a run."""

    # Indexed by (run, started_at, id) (Meta), which every query of a run's spans starts with.
    run = models.ForeignKey(
        "history.Run", on_delete=models.CASCADE, related_name="spans", db_index=False
    )
    trace_id = models.CharField(max_length=32)
    span_id = models.CharField(max_length=16)
    parent_span_id = models.CharField(max_length=16, blank=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=16, blank=True)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        indexes = [
            # Used by history.timeline: a page of a run's spans, keyset on (started_at, id).
            models.Index(fields=["run", "started_at", "id"], name="history_span_run_started"),
            # Used by history.timeline: a run's passes (its root spans).
            models.Index(
                fields=["run", "started_at"],
                name="history_span_run_passes",
                condition=models.Q(parent_span_id=""),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class LogRecord(models.Model):
    """A Python logging record made while a run executed, attached to its span."""

    # Indexed by (run, created_at, id) (Meta), which every query of a run's logs starts with.
    run = models.ForeignKey(
        "history.Run", on_delete=models.CASCADE, related_name="log_records", db_index=False
    )
    span_id = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField()
    level = models.CharField(max_length=16)
    logger = models.CharField(max_length=200)
    message = models.TextField()
    attributes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # Used by history.trace_logs: a page of a run's logs, keyset on (created_at, id).
            models.Index(fields=["run", "created_at", "id"], name="history_log_run_created"),
        ]

    def __str__(self) -> str:
        return f"{self.level} {self.message[:60]}"
