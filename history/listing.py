"""What a list of runs carries: payload previews made by PostgreSQL, and bounded included parts.

A run's input or output can be megabytes; a page of them must not be. For lists the database
returns each payload's size and first characters instead of the payload, and an included part
(steps, usage, trace) holds at most a few items per run, fetched for the whole page at once.
"""

from __future__ import annotations

from django.db.models import F, Func, IntegerField, Prefetch, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Left

from .models import LogRecord, Run, Span, Step, UsageItem

PREVIEW_CHARS = 1024
# Included parts per run in a list; the run's own URL has them all.
LIST_PART_ITEMS = 20
# Pages with included parts are smaller: 50 runs of 20 steps with previews stay a few megabytes.
LIST_PAGE_WITH_PARTS = 50
LIST_INCLUDES = ("steps", "usage", "trace", "trigger")
RUN_PAYLOADS = ("input", "output")
STEP_PAYLOADS = ("input", "output")


class OctetLength(Func):
    function = "OCTET_LENGTH"
    output_field = IntegerField()


def _previews(fields: tuple[str, ...]) -> dict[str, Func]:
    annotations: dict[str, Func] = {}
    for name in fields:
        text = Cast(name, TextField())
        annotations[f"{name}_preview"] = Left(text, PREVIEW_CHARS)
        annotations[f"{name}_size"] = OctetLength(text)
    return annotations


def _error_summary() -> dict[str, Func | KT]:
    return {
        "error_type": KT("error__type"),
        "error_message": Left(KT("error__message"), PREVIEW_CHARS),
        "error_step_id": KT("error__step_id"),
    }


def runs_for_list(runs: QuerySet[Run], include: tuple[str, ...]) -> QuerySet[Run]:
    """``runs`` without their payloads, with previews and the included parts of the whole page."""
    heavy = ["input", "output", "error", "conversation"] + ([] if "trigger" in include else ["trigger_raw"])
    runs = runs.defer(*heavy).annotate(**_previews(RUN_PAYLOADS), **_error_summary())
    prefetches = []
    if "steps" in include:
        steps = (
            Step.objects.defer(*STEP_PAYLOADS, "error", "attempts")
            .annotate(**_previews(STEP_PAYLOADS), **_error_summary(), attempt_count=_array_length("attempts"))
            .select_related("child_run")
            .order_by("position")
        )
        prefetches.append(Prefetch("steps", queryset=steps[:LIST_PART_ITEMS], to_attr="listed_steps"))
    if "usage" in include:
        usage = UsageItem.objects.order_by("created_at", "id")[:LIST_PART_ITEMS]
        prefetches.append(Prefetch("usage_items", queryset=usage, to_attr="listed_usage"))
    if "trace" in include:
        spans = Span.objects.order_by("started_at", "id")[:LIST_PART_ITEMS]
        logs = LogRecord.objects.order_by("created_at", "id")[:LIST_PART_ITEMS]
        prefetches += [
            Prefetch("spans", queryset=spans, to_attr="listed_spans"),
            Prefetch("log_records", queryset=logs, to_attr="listed_logs"),
        ]
    return runs.prefetch_related(*prefetches)


def _array_length(field: str) -> Func:
    return Func(F(field), function="jsonb_array_length", output_field=IntegerField())


def preview(obj: Run | Step, name: str) -> dict[str, object] | None:
    """A listed payload: its first characters, its size in bytes, and whether it was cut."""
    size = getattr(obj, f"{name}_size")
    if size is None:
        return None
    text = getattr(obj, f"{name}_preview")
    return {"preview": text, "size": size, "truncated": len(text) == PREVIEW_CHARS and len(text.encode()) < size}


def error_summary(obj: Run | Step) -> dict[str, object] | None:
    if obj.error_type is None and obj.error_message is None:
        return None
    return {"type": obj.error_type, "message": obj.error_message, "step_id": obj.error_step_id}
