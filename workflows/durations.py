"""Parse the durations authors write: 30, "30s", "5m", "1h30m", "7d", timedelta."""

from __future__ import annotations

import math
import re
from datetime import timedelta

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
# Far beyond any sleep or retention, and well inside what timedelta and datetimes can hold.
_LONGEST = 999_999 * 86400


def parse_duration(value: float | str | timedelta, what: str) -> timedelta:
    """Return a timedelta, or raise ValueError naming ``what`` and the accepted forms."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and value.strip():
        text = value.strip().lower().replace(" ", "")
        parts = _PART.findall(text)
        if "".join(n + u for n, u in parts) != text:
            raise ValueError(
                f"{what}={value!r} is not a duration: write e.g. 30, '30s', '5m', '1h30m', '7d'."
            )
        seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    else:
        raise ValueError(
            f"{what}={value!r} is not a duration: write e.g. 30, '30s', '5m', '1h30m', '7d'."
        )
    if math.isnan(seconds):
        raise ValueError(f"{what}={value!r} is not a number of seconds: give a finite duration.")
    if seconds >= _LONGEST:
        raise ValueError(f"{what}={value!r} is too long: durations must be under 999,999 days.")
    if seconds < 0:
        raise ValueError(f"{what}={value!r} is negative: durations must be zero or more.")
    return timedelta(seconds=seconds)
