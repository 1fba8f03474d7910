"""What a list of runs carries: payload previews made by PostgreSQL, and bounded included parts.

A run's input or output can be megabytes; a page of them must not be. For lists the database
returns each payload's size and first characters instead of the payload, and an included part
(steps, usage, trace) holds at most a few items per run, fetched for the whole page at once.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Func, IntegerField, Prefetch, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Left

from .hook_tokens import drop_cut_hex
from .models import LogRecord, Run, Span, Step, UsageItem

PREVIEW_CHARS = 1024
# Included parts per run in a list; the run's own URL has them all.
LIST_PART_ITEMS = 20
# Pages with included parts are smaller: 50 runs of 20 steps with previews stay a few megabytes.
LIST_PAGE_WITH_PARTS = 50
LIST_INCLUDES = ("steps", "usage", "trace", "trigger")
RUN_PAYLOADS = ("input", "output")
STEP_PAYLOADS = ("input", "output")
HEAVY_RUN_FIELDS = ("input", "output", "error", "conversation", "trigger_raw")


class OctetLength(Func):
    function = "OCTET_LENGTH"
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # SQLite before 3.43 has no OCTET_LENGTH; the length of the text as bytes is the same.
        return self.as_sql(
            compiler, connection, template="LENGTH(CAST(%(expressions)s AS BLOB))", **extra
        )


def _previews(fields: tuple[str, ...]) -> dict[str, Func]:
    annotations: dict[str, Func] = {}
    for name in fields:
        text = Cast(name, TextField())
        annotations[f"{name}_preview"] = Left(text, PREVIEW_CHARS)
        annotations[f"{name}_size"] = OctetLength(text)
    return annotations


def _error_summary() -> dict[str, Any]:
    return {
        "error_type": KT("error__type"),
        "error_message": Left(KT("error__message"), PREVIEW_CHARS),
        "error_step_id": KT("error__step_id"),
    }


def runs_for_list(runs: QuerySet[Run], include: tuple[str, ...]) -> QuerySet[Run]:
    """``runs`` without their payloads, with previews and the included parts of the whole page."""
    # The parent and the original of a rerun are joined for their ids only.
    related = [
        f"{relation}__{name}" for relation in ("parent", "rerun_of") for name in HEAVY_RUN_FIELDS
    ]
    payloads = (*RUN_PAYLOADS, "trigger_raw") if "trigger" in include else RUN_PAYLOADS
    runs = runs.defer(*HEAVY_RUN_FIELDS, *related).annotate(
        **_previews(payloads), **_error_summary()
    )
    prefetches: list[Prefetch[Any, Any, Any]] = []
    if "steps" in include:
        steps = (
            Step.objects.defer(*STEP_PAYLOADS, "error", "attempts")
            .annotate(
                **_previews(STEP_PAYLOADS),
                **_error_summary(),
                attempt_count=JsonArrayLength("attempts"),
            )
            .select_related("child_run")
            .order_by("position")
        )
        prefetches.append(
            Prefetch("steps", queryset=steps[:LIST_PART_ITEMS], to_attr="listed_steps")
        )
    if "usage" in include:
        usage = UsageItem.objects.order_by("created_at", "id")[:LIST_PART_ITEMS]
        prefetches.append(Prefetch("usage_items", queryset=usage, to_attr="listed_usage"))
    if "trace" in include:
        spans = (
            Span.objects.defer("attributes")
            .annotate(**_previews(("attributes",)))
            .order_by("started_at", "id")
        )
        logs = (
            LogRecord.objects.defer("message", "attributes")
            .annotate(**_previews(("attributes",)), message_preview=Left("message", PREVIEW_CHARS))
            .order_by("created_at", "id")
        )
        prefetches += [
            Prefetch("spans", queryset=spans[:LIST_PART_ITEMS], to_attr="listed_spans"),
            Prefetch("log_records", queryset=logs[:LIST_PART_ITEMS], to_attr="listed_logs"),
        ]
    return runs.prefetch_related(*prefetches)


class JsonArrayLength(Func):
    function = "JSONB_ARRAY_LENGTH"
    output_field = IntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(compiler, connection, function="JSON_ARRAY_LENGTH", **extra)


def preview(obj: object, name: str) -> dict[str, object] | None:
    """A listed payload: its first characters, its size in bytes, and whether it was cut.

    A JSON null is no payload, as in the whole record; a cut preview loses the hex digits it
    ends in, which may be most of a hook token.
    """
    size, text = getattr(obj, f"{name}_size"), getattr(obj, f"{name}_preview")
    if size is None or text == "null":
        return None
    truncated = len(text) == PREVIEW_CHARS and len(text.encode()) < size
    return {
        "preview": drop_cut_hex(text) if truncated else text,
        "size": size,
        "truncated": truncated,
    }


def short_text(text: str | None) -> str | None:
    """A text cut by the database to PREVIEW_CHARS, without the hex digits the cut may have gone
    through.
    """
    return drop_cut_hex(text) if text is not None and len(text) == PREVIEW_CHARS else text


def error_summary(obj: Any) -> dict[str, object] | None:
    """A listed run's or step's error: the type, the message cut short, the failing step."""
    if obj.error_type is None and obj.error_message is None:
        return None
    return {
        "type": obj.error_type,
        "message": short_text(obj.error_message),
        "step_id": obj.error_step_id,
    }
