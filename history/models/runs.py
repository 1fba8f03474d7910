from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

RUN_ID_PREFIX = "run_"


def parse_run_id(public_id: str) -> uuid.UUID:
    """Turn ``run_<32 hex>`` into the run's UUID, or raise ValueError saying what is wrong."""
    if not public_id.startswith(RUN_ID_PREFIX):
        raise ValueError(f"{public_id!r} is not a run id: run ids look like run_<32 hex digits>.")
    try:
        return uuid.UUID(hex=public_id[len(RUN_ID_PREFIX) :])
    except ValueError:
        raise ValueError(
            f"{public_id!r} is not a run id: run ids look like run_<32 hex digits>."
        ) from None


class RunQuerySet(models.QuerySet["Run"]):
    def for_organization(self, organization_id: int) -> RunQuerySet:
        return self.filter(organization_id=organization_id)

    def recent_for_list(self) -> RunQuerySet:
        # Newest first with the id as tiebreaker: the order of every keyset-paginated list.
        return self.select_related("project").order_by("-created_at", "-id")

    def by_public_id(self, public_id: str) -> RunQuerySet:
        return self.filter(uid=parse_run_id(public_id))


class Run(models.Model):
    class Kind(models.TextChoices):
        WORKFLOW = "workflow", "Workflow"
        AGENT = "agent", "Agent"
        # A plain Celery task of the host project, recorded by workflows.task_recording; the
        # engine never runs one.
        TASK = "task", "Task"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SLEEPING = "sleeping", "Sleeping"
        WAITING = "waiting", "Waiting on hook"
        SUCCESS = "success", "Success"
        FAILED = "failed", "Failed"
        CANCELED = "canceled", "Canceled"

    class StepNumbering(models.IntegerChoices):
        ONE_COUNTER = 1, "one counter per run"
        PER_BRANCH = 2, "per concurrent branch"

    class Trigger(models.TextChoices):
        API = "api", "API"
        CLI = "cli", "CLI"
        UI = "ui", "UI"
        WEBHOOK = "webhook", "Webhook"
        SCHEDULE = "schedule", "Schedule"
        POLL = "poll", "Poll"
        WORKFLOW = "workflow", "Workflow"
        WORKFLOW_TOOL = "workflow_tool", "Workflow tool"
        AGENT = "agent", "Agent"
        RETRY = "retry", "Retry"
        CELERY = "celery", "Celery"

    TERMINAL = (Status.SUCCESS, Status.FAILED, Status.CANCELED)
    ACTIVE = (Status.QUEUED, Status.RUNNING, Status.SLEEPING, Status.WAITING)
    SUSPENDED = (Status.SLEEPING, Status.WAITING)

    uid = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    # Every index on a run starts with the organization where it needs one; an index of its own
    # would only cost each write.
    organization = models.ForeignKey(
        "history.Organization", on_delete=models.CASCADE, related_name="runs", db_index=False
    )
    project = models.ForeignKey("history.Project", on_delete=models.PROTECT, related_name="runs")
    kind = models.CharField("type", max_length=16, choices=Kind.choices, default=Kind.WORKFLOW)
    slug = models.CharField(
        max_length=100, help_text="Slug of the workflow or agent this run executes."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    input = models.JSONField(default=dict, blank=True)
    output = models.JSONField(null=True, blank=True)
    error = models.JSONField(
        null=True, blank=True, help_text="type, message, traceback and step_id of the failure."
    )
    # Written with the error by workflows.store (history.fingerprints): Failures groups by it.
    error_fingerprint = models.CharField(
        max_length=16,
        blank=True,
        default="",
        # Processes of the previous release insert runs without the column during a deploy.
        db_default="",
        help_text="The error type and message with numbers, ids and quoted text left out.",
    )

    actor = models.CharField(max_length=200, blank=True, help_text="Who started the run.")
    # These four are indexed where set only (Meta.indexes): most runs have none of them, and a
    # status change of a run writes an entry in every index that holds it.
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    actor_api_key = models.ForeignKey(
        "history.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    trigger_type = models.CharField(max_length=16, choices=Trigger.choices, default=Trigger.API)
    trigger_label = models.CharField(max_length=200, blank=True)
    trigger_id = models.CharField(
        max_length=200, blank=True, help_text="The trigger attachment that started it."
    )
    trigger_raw = models.JSONField(
        default=dict, blank=True, help_text="The raw trigger value, without secrets."
    )
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="children",
        db_index=False,
    )
    rerun_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reruns",
        db_index=False,
    )
    attempt = models.PositiveIntegerField(default=1, help_text="Raised by each retry of the run.")

    created_at = models.DateTimeField(default=timezone.now)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    queue_ms = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    total_cost = models.DecimalField(max_digits=14, decimal_places=6, default=Decimal(0))
    models_used = models.JSONField("models", default=list, blank=True)
    services_used = models.JSONField("services", default=list, blank=True)
    step_count = models.PositiveIntegerField(default=0)
    message_count = models.PositiveIntegerField(default=0)
    conversation = models.JSONField(default=list, blank=True)

    # Engine bookkeeping.
    lease_owner = models.CharField(max_length=100, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="When its task message was last sent."
    )
    wake_at = models.DateTimeField(
        null=True, blank=True, help_text="When a suspended run is woken."
    )
    deadline_at = models.DateTimeField(
        null=True, blank=True, help_text="When the workflow's timeout expires."
    )
    # How the run's step ids are numbered (workflows.engine.positions): runs recorded before
    # concurrent branches were numbered on their own keep one counter for the whole run.
    step_numbering = models.PositiveSmallIntegerField(
        choices=StepNumbering.choices, default=StepNumbering.PER_BRANCH
    )
    # The project version the run was started on (workflows.versions): a retry in place keeps
    # it, so a NonDeterminismError can name the version its history was recorded by.
    version = models.CharField(
        max_length=64,
        blank=True,
        default="",
        # Processes of the previous release insert runs without the column during a deploy.
        db_default="",
        help_text="The project version the run was started on.",
    )
    has_workspace = models.BooleanField(
        default=False,
        db_default=False,
        help_text="Whether its workflow gives it a workspace folder (History's Workspace tab).",
    )
    # Bumped by every hook resume and child completion, so a worker that suspends the run
    # at the same moment can tell it was woken meanwhile (see workflows.store.leases.suspend_run).
    wakeups = models.PositiveIntegerField(default=0)

    objects = RunQuerySet.as_manager()

    class Meta:
        indexes = [
            # Keyset pagination of History and GET /api/runs, unfiltered and by each filter.
            models.Index(
                fields=["organization", "-created_at", "-id"], name="history_run_org_created"
            ),
            *(
                models.Index(
                    fields=[name],
                    name=f"history_run_{name}",
                    condition=Q(**{f"{name}__isnull": False}),
                )
                for name in ("actor_user", "actor_api_key", "parent", "rerun_of")
            ),
            models.Index(
                fields=["organization", "status", "-created_at", "-id"],
                name="history_run_org_status",
            ),
            models.Index(
                fields=["organization", "slug", "-created_at", "-id"], name="history_run_org_slug"
            ),
            models.Index(
                fields=["organization", "kind", "-created_at", "-id"], name="history_run_org_kind"
            ),
            models.Index(
                fields=["organization", "trigger_type", "-created_at", "-id"],
                name="history_run_org_trigger",
            ),
            models.Index(
                fields=["organization", "trigger_id", "-created_at", "-id"],
                name="history_run_org_trigger_id",
            ),
            models.Index(
                fields=["organization", "version", "-created_at", "-id"],
                name="history_run_org_version",
            ),
            # Used by history.counts (the counts per status of one workflow or agent).
            models.Index(
                fields=["organization", "slug", "status", "kind"],
                name="history_run_org_slug_status",
            ),
            # Used by history.failures (failed runs grouped by fingerprint, the representative is
            # the highest id, first and last seen are finished_at) and by the list's fingerprint
            # filter.
            models.Index(
                fields=["organization", "error_fingerprint", "-finished_at", "-id"],
                name="history_run_org_fingerprint",
                condition=Q(status="failed"),
            ),
            # Used by workflows.store.wakeups.due_run_ids() (the timer beat).
            models.Index(
                fields=["wake_at"],
                name="history_run_wake",
                condition=Q(status__in=["sleeping", "waiting"]),
            ),
            # Used by workflows.store.wakeups.stale_run_ids() (the sweeper).
            models.Index(
                fields=["status", "enqueued_at"],
                name="history_run_active",
                condition=Q(status__in=["queued", "running"]),
            ),
            # Used by history.metrics (GET /metrics): how many runs wait in the queue, and since
            # when.
            models.Index(
                fields=["queued_at"], name="history_run_queued", condition=Q(status="queued")
            ),
            # Used by workflows.store.prune.expired_roots_txn() (the retention prune): finished
            # top-level runs of one status, oldest first; children are found through parent_id.
            models.Index(
                fields=["status", "finished_at", "id"],
                name="history_run_expiry",
                condition=Q(parent__isnull=True, status__in=["success", "failed", "canceled"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.public_id} {self.slug} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("history:run-detail", args=[self.public_id])

    @property
    def public_id(self) -> str:
        return f"{RUN_ID_PREFIX}{self.uid.hex}"

    @property
    def queue_wait_ms(self) -> int | None:
        """How long the run waited for a worker: recorded when it finishes, known once started."""
        if self.queue_ms is not None:
            return self.queue_ms
        if self.started_at is None:
            return None
        return max(0, round((self.started_at - self.queued_at).total_seconds() * 1000))

    @property
    def is_terminal(self) -> bool:
        return self.status in self.TERMINAL
