"""The one run filter, shared by the History page and GET /api/runs."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet, TextField, Value
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .access import actor_for_request
from .models import Run, Step, parse_run_id
from .models.accounts import Role
from .validation import refused
from .waits import RETRIED_KINDS
from .where import HEX_RUN, Clause, parse_all


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, converted to UTC so odd offsets (``+20:05``) never reach the database."""

    def to_python(self, value: Any) -> datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise ValidationError(
                "This time is out of range: use an ISO 8601 time such as 2026-11-20T09:00:00Z."
            ) from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


class RunIdsField(forms.Field):
    """Run ids, repeated (``id=run_a&id=run_b``) or comma-separated; each one checked."""

    widget = forms.MultipleHiddenInput  # reads every value of a repeated parameter

    def to_python(self, value: Any) -> list[uuid.UUID]:
        ids = [part.strip() for item in value or [] for part in str(item).split(",")]
        ids = [part for part in ids if part]
        if len(ids) > MAX_RUN_IDS:
            raise ValidationError(
                f"{len(ids)} run ids is too many: select at most {MAX_RUN_IDS}, or filter instead."
            )
        try:
            return [parse_run_id(part) for part in ids]
        except ValueError as exc:
            raise refused(str(exc)) from None


class WhereField(forms.Field):
    """Payload clauses (history.where), repeated or one a line; each one checked."""

    widget = forms.MultipleHiddenInput  # reads every value of a repeated parameter

    def to_python(self, value: Any) -> list[Clause]:
        return parse_all([str(item) for item in value or []])


@extend_schema_field(OpenApiTypes.STR)  # no model field to read a type from: each clause is text
class WhereFilter(django_filters.Filter):
    field_class = WhereField

    def filter(self, qs: QuerySet[Run], value: list[Clause]) -> QuerySet[Run]:
        mask = not self.parent._sees_hook_tokens()
        for clause in value or []:
            qs = qs.filter(clause.q(connection.vendor, mask=mask))
        return qs


class RunIdsFilter(django_filters.Filter):
    field_class = RunIdsField

    def filter(self, qs: QuerySet[Run], value: list[uuid.UUID]) -> QuerySet[Run]:
        return qs.filter(uid__in=value) if value else qs


MAX_RUN_IDS = 1000
MAX_SEARCH = 1000
RETRYING = "retrying"

RANGES = {
    "1h": timedelta(hours=1),
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}


class RunFilter(django_filters.FilterSet):
    id = RunIdsFilter(label="Run ids (the runs selected in the list)")
    kind = django_filters.ChoiceFilter(choices=Run.Kind.choices)
    # No DISTINCT: nothing here joins, and DISTINCT turns the keyset scan into a sort of every
    # match.
    status = django_filters.MultipleChoiceFilter(
        choices=[*Run.Status.choices, (RETRYING, "Retrying")],
        method="filter_status",
        distinct=False,
    )
    slug = django_filters.CharFilter(field_name="slug", label="Workflow or agent")
    workflow = django_filters.CharFilter(method="filter_workflow")
    agent = django_filters.CharFilter(method="filter_agent")
    trigger = django_filters.ChoiceFilter(field_name="trigger_type", choices=Run.Trigger.choices)
    trigger_id = django_filters.CharFilter(
        method="filter_trigger_id", label="A trigger (signup) or attachment"
    )
    project = django_filters.CharFilter(field_name="project__slug")
    actor = django_filters.CharFilter(field_name="actor")
    # A longer pattern is a 500 on SQLite ("LIKE or GLOB pattern too complex").
    q = django_filters.CharFilter(
        method="filter_text",
        max_length=MAX_SEARCH,
        error_messages={
            "max_length": f"The search text q is too long: use at most {MAX_SEARCH:,} "
            "characters, or search payloads with where=."
        },
    )
    where = WhereFilter(label="Payload: input.email=ada@acme.io, output.score>=80 (repeatable)")
    created_after = UtcDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = UtcDateTimeFilter(field_name="created_at", lookup_expr="lt")
    range = django_filters.ChoiceFilter(
        choices=[(k, f"Last {k}") for k in RANGES], method="filter_range", label="Time range"
    )
    min_cost = django_filters.NumberFilter(field_name="total_cost", lookup_expr="gte")
    model = django_filters.CharFilter(
        method="filter_model", label="Model used, e.g. openai:gpt-4o-mini"
    )
    fingerprint = django_filters.CharFilter(
        method="filter_fingerprint", label="One kind of failure: a fingerprint from Failures"
    )
    version = django_filters.CharFilter(
        field_name="version", label="The project version runs were started on"
    )

    class Meta:
        model = Run
        fields: list[str] = []

    def filter_status(self, queryset: QuerySet[Run], name: str, value: list[str]) -> QuerySet[Run]:
        """The statuses given; ``retrying`` is a sleeping run whose wake-up is a step's retry."""
        if not value:
            return queryset
        matches = Q(status__in=[status for status in value if status != RETRYING])
        if RETRYING in value:
            retries = Step.objects.filter(
                run=OuterRef("pk"),
                status=Step.Status.SLEEPING,
                kind__in=RETRIED_KINDS,
                wake_at=OuterRef("wake_at"),  # the retry is what wakes the run
            )
            matches |= Q(Q(status=Run.Status.SLEEPING), Exists(retries))
        return queryset.filter(matches)

    def filter_workflow(self, queryset: QuerySet[Run], name: str, value: str) -> QuerySet[Run]:
        return queryset.filter(kind=Run.Kind.WORKFLOW, slug=value)

    def filter_agent(self, queryset: QuerySet[Run], name: str, value: str) -> QuerySet[Run]:
        return queryset.filter(kind=Run.Kind.AGENT, slug=value)

    def filter_trigger_id(self, queryset: QuerySet[Run], name: str, value: str) -> QuerySet[Run]:
        """``signup`` matches every attachment of that trigger; ``signup:signup-pipeline`` one of
        them.
        """
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(trigger_id=value) | Q(trigger_id__startswith=f"{value}:"))

    def filter_model(self, queryset: QuerySet[Run], name: str, value: str) -> QuerySet[Run]:
        if connection.vendor == "postgresql":
            return queryset.filter(models_used__contains=[value])  # jsonb containment
        return queryset.filter(models_used__icontains=f'"{value}"')  # SQLite keeps JSON as text

    def filter_range(self, queryset: QuerySet[Run], name: str, value: str) -> QuerySet[Run]:
        return queryset.filter(created_at__gte=timezone.now() - RANGES[value])

    def filter_text(self, queryset: QuerySet[Run], name: str, value: Any) -> QuerySet[Run]:
        """A run id matches exactly; otherwise the slug, the error message, or the JSON text of
        the input or output contains the text.

        Below operator the texts are searched without their runs of 40 or more hex digits: a
        hook token is masked where it is shown, and a search that still matched it would spell
        it out digit by digit (``q=hooks/a``, ``q=hooks/ab``…).
        """
        value = value.strip()
        try:
            return queryset.filter(uid=parse_run_id(value))
        except ValueError:
            pass
        # Each text as a trigram index holds it (history_run_slug_trgm, history_run_error_trgm,
        # history_run_input_trgm, history_run_output_trgm), so icontains uses it.
        queryset = queryset.alias(
            input_text=Cast("input", TextField()), output_text=Cast("output", TextField())
        )
        texts = {"error__message": KT("error__message"), "input_text": F("input_text")}
        texts["output_text"] = F("output_text")
        matched = Q(slug__icontains=value)
        sees_tokens = self._sees_hook_tokens()
        for text, expression in texts.items():
            found = Q(**{f"{text}__icontains": value})
            if not sees_tokens:  # the plain match first, which the index serves, then the masked
                masked = f"masked_{text.replace('__', '_')}"
                queryset = queryset.alias(**{masked: _masked(expression)})
                found &= Q(**{f"{masked}__icontains": value})
            matched |= found
        return queryset.filter(matched)

    def _sees_hook_tokens(self) -> bool:
        actor = actor_for_request(self.request) if self.request is not None else None
        return actor is not None and actor.can(Role.OPERATOR)

    def filter_fingerprint(self, queryset: QuerySet[Run], name: str, value: str) -> QuerySet[Run]:
        # Failed runs only: the partial index history_run_org_fingerprint serves them.
        return queryset.filter(status=Run.Status.FAILED, error_fingerprint=value.strip())


def _masked(text: Any) -> Func:
    return Func(
        text,
        Value(HEX_RUN),
        Value(""),
        Value("g"),
        function="regexp_replace",
        output_field=TextField(),
    )
