"""The record of every run: who may see it, what it did, what it cost."""

from __future__ import annotations

from .accounts import ApiKey, Membership, Organization, Project, Role
from .audit import AuditEvent
from .bulk import BulkJob, parse_bulk_id
from .metrics import MetricIncrement, MetricTotal
from .pauses import WorkflowPause
from .runs import Run, RunQuerySet, parse_run_id
from .saved_views import SavedView
from .slugs import RunSlug
from .steps import Step
from .telemetry import LogRecord, Span, UsageItem
from .triggers import TriggerDelivery, TriggerState

__all__ = [
    "ApiKey",
    "AuditEvent",
    "BulkJob",
    "LogRecord",
    "Membership",
    "MetricIncrement",
    "MetricTotal",
    "Organization",
    "Project",
    "Role",
    "Run",
    "RunQuerySet",
    "RunSlug",
    "SavedView",
    "Span",
    "Step",
    "TriggerDelivery",
    "TriggerState",
    "UsageItem",
    "WorkflowPause",
    "parse_bulk_id",
    "parse_run_id",
]
