"""What a bulk cancel or retry acts on: the runs a filter matches, read by the list's own filter.

The filter is GET /api/runs's query as a JSON object (``{"status": ["failed"], "workflow":
"x"}``); rows selected in History are the filter ``{"id": [...]}``. The API, History's page and
the engine's batches all read it here, so "matching this filter" means what the list shows.

The engine starts and stops jobs (workflows.bulk); History reaches it through ``start`` and
``stop``, which the engine hands over when it starts (``provide``), as with history.run_actions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import BadRequest, ImproperlyConfigured
from django.http import Http404, QueryDict
from django.utils import timezone

from .access import Actor
from .errors import HistoryError, Refused
from .filters import RANGES, RunFilter
from .models import BulkJob, Run, parse_bulk_id

# The states each action applies to; a run in another state is left alone.
APPLIES_TO: dict[str, tuple[str, ...]] = {
    BulkJob.Action.CANCEL: Run.ACTIVE,
    BulkJob.Action.RETRY: (Run.Status.FAILED, Run.Status.CANCELED),
}
DONE: dict[str, str] = {BulkJob.Action.CANCEL: "canceled", BulkJob.Action.RETRY: "retried"}
WHICH: dict[str, str] = {
    BulkJob.Action.CANCEL: "queued, running, sleeping or waiting",
    BulkJob.Action.RETRY: "failed or canceled",
}
FILTER_KEYS = tuple(RunFilter.base_filters)
MAX_REASON = 2000


class BulkInputError(HistoryError, ValueError):
    """A bulk request's field is wrong; the message says how to put it right."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message


class _OperatorFilter(RunFilter):
    """Bulk actions are an operator's, so the search sees what an operator's list shows."""

    def _sees_hook_tokens(self) -> bool:
        return True


@dataclass(frozen=True)
class Preview:
    """What a bulk action would do now: ``count`` runs it applies to of ``matching``."""

    action: str
    filter: dict[str, Any]
    count: int
    matching: int
    upper_pk: int


def parse_action(value: Any) -> str:
    if not isinstance(value, str) or value not in APPLIES_TO:
        raise BulkInputError("action", f"{value!r} is not a bulk action: use cancel or retry.")
    return str(value)


def parse_reason(value: Any) -> str:
    reason = value.strip() if isinstance(value, str) else ""
    if not reason:
        raise BulkInputError(
            "reason", 'Say why (e.g. "bad deploy 4121"): it is kept with the audit event.'
        )
    if len(reason) > MAX_REASON:
        raise BulkInputError("reason", f"Keep it under {MAX_REASON} characters.")
    return reason


def _query(raw: dict[str, Any]) -> QueryDict:
    query = QueryDict(mutable=True)
    for key, value in raw.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in values):
            raise BulkInputError(
                f"filter.{key}", "Give a string, a number or a list of them, as in the URL."
            )
        query.setlist(key, [str(v) for v in values])
    return query


def normalize_filter(raw: Any) -> dict[str, Any]:
    """The filter checked as GET /api/runs checks it, and with a relative time range (``24h``)
    turned into the time it starts at, so later batches match the runs this one counted.
    """
    if not isinstance(raw, dict):
        raise BulkInputError(
            "filter", 'Give GET /api/runs\'s query as an object, e.g. {"status": ["failed"]}.'
        )
    if unknown := sorted(set(raw) - set(FILTER_KEYS)):
        raise BulkInputError(
            f"filter.{unknown[0]}",
            f"{', '.join(unknown)} is not a run filter; the filters are {', '.join(FILTER_KEYS)}.",
        )
    checked = RunFilter(_query(raw), queryset=Run.objects.none())
    if not checked.is_valid():
        name, errors = next(iter(checked.errors.items()))
        raise BulkInputError(f"filter.{name}", " ".join(errors))
    normal = {k: v for k, v in raw.items() if v not in ("", [], None) and k != "range"}
    if window := checked.form.cleaned_data.get("range"):
        since = timezone.now() - RANGES[window]
        after = checked.form.cleaned_data.get("created_after")
        normal["created_after"] = max(since, after or since).isoformat()
    return normal


def matching_runs(organization_id: int, filter: dict[str, Any]) -> Any:
    """The organization's runs ``filter`` matches (a normalized one), in any state.

    A filter that is no longer valid raises BulkInputError: django-filter would drop the field
    it refuses, and a bulk action must never widen to runs nobody asked for.
    """
    runs = Run.objects.for_organization(organization_id)
    found = _OperatorFilter(_query(filter), queryset=runs)
    if not found.is_valid():
        name, errors = next(iter(found.errors.items()))
        raise BulkInputError(f"filter.{name}", " ".join(errors))
    return found.qs


def runs_to_act_on(organization_id: int, action: str, filter: dict[str, Any]) -> Any:
    # A Celery task's run is a record the engine never runs (workflows.task_recording).
    return (
        matching_runs(organization_id, filter)
        .filter(status__in=APPLIES_TO[action])
        .exclude(kind=Run.Kind.TASK)
    )


def preview(organization_id: int, action: Any, raw_filter: Any) -> Preview:
    """Count what a bulk action would change now; raises BulkInputError for bad input."""
    action, filter = parse_action(action), normalize_filter(raw_filter)
    newest = Run.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    matching = matching_runs(organization_id, filter).filter(pk__lte=newest)
    count = matching.filter(status__in=APPLIES_TO[action]).exclude(kind=Run.Kind.TASK).count()
    return Preview(action, filter, count, matching.count(), newest)


def describe(filter: dict[str, Any]) -> str:
    """The filter for people: ``status: failed, waiting · workflow: x``."""
    if not filter:
        return "every run"
    if set(filter) == {"id"}:
        ids = filter["id"] if isinstance(filter["id"], list) else [filter["id"]]
        return f"{len(ids)} selected run{'s' if len(ids) != 1 else ''}"
    parts = []
    for key, value in filter.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{key}: {shown}")
    return " · ".join(parts)


def get_job_for_actor(actor: Actor, public_id: str) -> BulkJob:
    """400 for a malformed id, 404 for another organization's job."""
    try:
        uid = parse_bulk_id(public_id)
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    try:
        return BulkJob.objects.get(uid=uid, organization=actor.organization)
    except BulkJob.DoesNotExist:
        raise Http404(f"No bulk job {public_id} in your organization.") from None


Start = Callable[[Actor, Any, Any, Any], BulkJob]
Stop = Callable[[Actor, BulkJob], BulkJob]


@dataclass
class _Engine:
    start: Start | None = None
    stop: Stop | None = None
    refusal: type[Exception] = field(default=Refused)


_engine = _Engine()


def provide(start: Start, stop: Stop, refusal: type[Exception]) -> None:
    """The engine's start and stop, and what stop raises for a job that already ended."""
    _engine.start, _engine.stop, _engine.refusal = start, stop, refusal


def start(actor: Actor, action: Any, raw_filter: Any, reason: Any) -> BulkJob:
    """Start a bulk job as ``actor`` (an operator); raises BulkInputError."""
    if _engine.start is None:
        raise ImproperlyConfigured("No engine starts bulk jobs: is workflows in INSTALLED_APPS?")
    return _engine.start(actor, action, raw_filter, reason)


def stop(actor: Actor, job: BulkJob) -> BulkJob:
    """Stop a job after its current batch; raises Refused when it already ended."""
    if _engine.stop is None:
        raise ImproperlyConfigured("No engine stops bulk jobs: is workflows in INSTALLED_APPS?")
    try:
        return _engine.stop(actor, job)
    except _engine.refusal as exc:
        raise Refused(str(exc)) from exc
