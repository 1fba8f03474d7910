"""Every route of the URL conf, with its parameters filled from a table of values.

Tests that must cover every route walk this list, so a new route is covered without editing
them; a route whose parameter has no value here fails loudly instead of being skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>|\(\?P<(\w+)>[^)]*\)")
_REGEX_SYNTAX = re.compile(r"[\^$]")


@dataclass(frozen=True)
class Route:
    template: str  # "/history/<run_id>/payload/<field>/"
    name: str  # as reverse() takes it: "history:run-payload"
    params: tuple[str, ...]

    def path(self, values: Mapping[str, str]) -> str:
        missing = [p for p in self.params if p not in values]
        if missing:
            raise KeyError(
                f"no value for {missing} of route {self.template}: add one to the test's table"
            )
        return re.sub(r"<(\w+)>", lambda m: str(values[m.group(1)]), self.template)


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[tuple[str, str]]:
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            yield (
                prefix + str(pattern.pattern),
                f"{namespace}{pattern.name}" if pattern.name else "",
            )


def routes(exclude_prefixes: tuple[str, ...] = ("admin/",)) -> list[Route]:
    found = []
    for raw, name in _walk(get_resolver().url_patterns):
        if (
            raw.startswith(exclude_prefixes)
            or raw.startswith("^static")
            or raw.startswith("static")
        ):
            continue
        params = tuple(a or b for a, b in _PARAM.findall(raw))
        template = _PARAM.sub(lambda m: f"<{m.group(1) or m.group(2)}>", raw)
        template = _REGEX_SYNTAX.sub("", template).replace("(?P", "")
        found.append(Route("/" + template, name, params))
    return found
