"""Filters a form has no field for, kept by its Apply: hidden inputs, and links without one."""

from __future__ import annotations

from django import template
from django.http import QueryDict
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from ..views.common import query_without

register = template.Library()

# Never filters: the list's paging and fragment parameters.
NOT_FILTERS = ("before", "partial", "page", "pick")


@register.simple_tag
def hidden_filters(query: QueryDict, shown: str) -> SafeString:
    """A hidden input for each value of ``query`` whose name is neither in ``shown`` (the form's
    own fields, comma-separated) nor a paging parameter."""
    skipped = {name.strip() for name in shown.split(",")} | set(NOT_FILTERS)
    return format_html_join(
        "",
        '<input type="hidden" name="{}" value="{}">',
        (
            (name, value)
            for name in query
            if name not in skipped
            for value in query.getlist(name)
            if value
        ),
    )


@register.filter
def without(query: QueryDict, name: str) -> str:
    """``query`` less ``name`` and the paging parameters, for a chip that removes a filter."""
    return query_without(query, name, *NOT_FILTERS)
