"""One line that says what happened to a run, for people reading a terminal (``--summary``)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any


def summary_line(run: dict[str, Any]) -> str:
    """``run_… signup-pipeline success in 1.2 s (4 steps, $0.0000) trigger CLI``."""
    took = f" in {duration(run['duration_ms'])}" if run.get("duration_ms") is not None else ""
    steps = run.get("step_count") or 0
    counts = f"({steps} step{'' if steps == 1 else 's'}, {cost(run.get('total_cost'))})"
    line = f"{run['id']} {run.get('slug')} {run['status']}{took} {counts}{trigger(run)}"
    return line + problem(run)


def duration(ms: int | float) -> str:
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


def cost(value: Any) -> str:
    # The API sends decimals as strings so that no cent is lost to a float.
    try:
        return f"${Decimal(str(value if value is not None else 0)):.4f}"
    except InvalidOperation:
        return f"${value}"


def trigger(run: dict[str, Any]) -> str:
    info = run.get("trigger") or {}
    label = info.get("label") or info.get("type")
    return f" trigger {label}" if label else ""


def problem(run: dict[str, Any]) -> str:
    """A failed run's error, shortened to stay on the line."""
    error = run.get("error")
    if run["status"] != "failed" or not error:
        return ""
    if isinstance(error, dict):
        kind = f"{error['type']}: " if error.get("type") else ""
        text = f"{kind}{error.get('message') or ''}"
    else:
        text = str(error)
    text = " ".join(text.split())
    return f": {text[:157]}…" if len(text) > 160 else f": {text}"
