"""Payloads as people read and copy them: JSON or YAML text, truncated past a size limit."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import yaml

from .hook_tokens import drop_cut_hex

# Larger payloads show their first bytes and a download link.
PREVIEW_LIMIT = 256 * 1024


# libyaml's safe dumper when PyYAML was built with it: the same text, several times faster.
_SafeDumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_SafeDumper):  # type: ignore[misc, valid-type]
    """The safe dumper, writing multi-line strings as blocks so tracebacks stay readable."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)


def as_json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


def as_yaml(value: Any) -> str:
    # A JSON round trip first: only plain data reaches the (safe) dumper.
    return yaml.dump(
        json.loads(json.dumps(value, default=str)),
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
    )


@dataclass(frozen=True)
class Preview:
    json: str
    yaml: str | None  # None when the payload is too large to render twice
    truncated: bool
    size: int


def preview(value: Any, limit: int = PREVIEW_LIMIT) -> Preview:
    text = as_json(value)
    size = len(text.encode())
    if size > limit:
        return Preview(
            drop_cut_hex(text.encode()[:limit].decode(errors="ignore")), None, True, size
        )
    return Preview(text, as_yaml(value), False, size)
