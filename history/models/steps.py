from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q


class Step(models.Model):
    """One durable step of a run, in the order the workflow asked for it."""

    class Kind(models.TextChoices):
        ACTION = "action", "Action"
        WORKFLOW = "workflow", "Child workflow"
        AGENT = "agent", "Agent"
        LLM = "llm", "LLM call"
        MODEL = "model", "Model call"
        SLEEP = "sleep", "Sleep"
        HOOK = "hook", "Hook"
        NOW = "now", "Clock"
        UUID = "uuid", "UUID"
        PATCH = "patch", "Patch marker"

    class Status(models.TextChoices):
        SUCCESS = "success", "Success"
        FAILED = "failed", "Failed"
        SLEEPING = "sleeping", "Sleeping"
        WAITING = "waiting", "Waiting"

    # Indexed by (run, position), which every query of a run's steps starts with.
    run = models.ForeignKey(
        "history.Run", on_delete=models.CASCADE, related_name="steps", db_index=False
    )
    position = models.PositiveIntegerField(help_text="Call order within the run, from 0.")
    step_id = models.CharField(max_length=200, help_text="step:<key>#<n>")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=16, choices=Status.choices)
    input = models.JSONField(null=True, blank=True)
    output = models.JSONField(null=True, blank=True)
    error = models.JSONField(null=True, blank=True)
    attempts = models.JSONField(
        default=list, blank=True, help_text="Each attempt's timing and error."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    wake_at = models.DateTimeField(
        null=True, blank=True, help_text="When a sleep ends, a retry is due or a hook times out."
    )
    token = models.CharField(
        max_length=64, blank=True, default="", help_text="A hook's resume token."
    )
    child_run = models.ForeignKey(
        "history.Run",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="parent_steps",
        db_index=False,  # indexed where set (Meta): most steps start no child
    )
    resumed_by = models.CharField(max_length=200, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal(0))
    parent_position = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Position of the agent or prompt_llm step this step ran inside.",
    )
    # A database default too: the worker's prepared INSERT does not name the column.
    copied = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Copied from the run this one retries from a later step; not executed here.",
    )
    # The run's workspace as this step left it: the digest of a manifest in the workspace storage.
    workspace = models.CharField(
        max_length=64,
        blank=True,
        default="",
        db_default="",
        help_text="Digest of the run's workspace after this step (empty: none stored).",
    )
    workspace_seq = models.PositiveIntegerField(
        default=0,
        db_default=0,
        help_text="The number of that workspace state in the run; the highest is the latest.",
    )

    class Meta:
        ordering = ["position"]
        indexes = [
            # Used by history.timeline: the waits of the steps that started within a page.
            models.Index(fields=["run", "started_at"], name="history_step_run_started"),
            models.Index(
                fields=["child_run"],
                name="history_step_child_run",
                condition=Q(child_run__isnull=False),
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["run", "position"], name="history_step_run_position"),
            # Used by POST /hooks/<token>. A copy in a retry from a later step keeps its
            # original's token, so the resume URL the workflow passed on replays unchanged; copies
            # are settled and never looked up by token.
            models.UniqueConstraint(
                fields=["token"],
                name="history_step_token",
                condition=~Q(token="") & Q(copied=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.step_id} ({self.status})"
