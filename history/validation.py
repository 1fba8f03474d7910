"""Filter errors that quote what the user typed."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def refused(message: str) -> ValidationError:
    """A ValidationError whose message is shown as it is, ``%`` signs included.

    django-filter %-formats every message it turns into a 400 (``message % params``) and Django
    forms format those given params; with the text as the one parameter, both print it unchanged,
    where a quoted ``100%`` would otherwise be a TypeError and a 500.
    """
    return ValidationError("%(message)s", params={"message": message})
