"""One run as Markdown, to paste into an issue or hand to an AI assistant.

The text stays a few pages long whatever the run holds: payloads, messages and tracebacks are
cut (saying how much and where the whole of it is) and only the first steps and usage lines are
listed. Text the workflow wrote is escaped, so a pipe or a backtick in it cannot break a table
or close a code block early. Cuts never end inside a run of hex digits, which may be most of a
hook token: whole tokens are masked for viewers as the answer leaves (history.middleware).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet, Window
from django.db.models.fields.json import KT
from django.db.models.functions import Left
from django.urls import reverse

from .hook_tokens import cut
from .listing import JsonArrayLength
from .models import Run, Step, UsageItem
from .payloads import as_json
from .templatetags.history_tags import cost, duration

CONTENT_TYPE = "text/markdown; charset=utf-8"
PAYLOAD_CHARS = 4000
MESSAGE_CHARS = 1000
STEP_ERROR_CHARS = 200
TRACEBACK_LINES = 40
TRACEBACK_LINE_CHARS = 300
STEP_ROWS = 50
USAGE_ROWS = 50

# Characters that mean something to Markdown in running text or a table cell.
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~])")
_BACKTICKS = re.compile(r"`+")

Absolute = Callable[[str], str]


def run_markdown(run: Run, absolute: Absolute | None = None) -> str:
    """``run`` as a Markdown document; ``absolute`` makes its links absolute (a request's
    ``build_absolute_uri``), otherwise they are paths.
    """
    link = absolute or (lambda path: path)
    steps, step_total = _first(_steps(run), STEP_ROWS)
    usage, usage_total = _first(run.usage_items.order_by("created_at", "id"), USAGE_ROWS)
    parts = [
        f"# {text(run.slug)} · {run.public_id}",
        _identity(run, link),
        _payload("Input", run.input, link(_payload_path(run, "input"))),
    ]
    if run.error is not None:
        parts.append(_error(run.error, link(_payload_path(run, "error"))))
    if run.output is not None or run.status == Run.Status.SUCCESS:
        parts.append(_payload("Output", run.output, link(_payload_path(run, "output"))))
    parts.append(_steps_table(steps, step_total, link(f"{run.get_absolute_url()}?tab=steps")))
    parts.append(_usage_table(run, usage, usage_total))
    return "\n\n".join(parts) + "\n"


def text(value: object) -> str:
    """``value`` as running text or a table cell: on one line, Markdown's characters escaped."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(value).split()))


def fenced(body: str, info: str = "") -> str:
    """A code block whose fence is longer than any run of backticks in ``body``."""
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{body}\n{fence}"


def utc(moment: datetime | None) -> str:
    return moment.isoformat().replace("+00:00", "Z") if moment else "—"


def _steps(run: Run) -> QuerySet[Step]:
    # Without the payloads, which can be megabytes each: the table needs their summary only.
    return (
        run.steps.defer("input", "output", "error", "attempts")
        .annotate(
            error_message=Left(KT("error__message"), STEP_ERROR_CHARS + 1),
            attempt_count=JsonArrayLength("attempts"),
        )
        .order_by("position")
    )


def _first(rows: QuerySet[Any], limit: int) -> tuple[list[Any], int]:
    """The first ``limit`` rows and how many there are, in one statement (the window is counted
    before the limit applies)."""
    found = list(rows.annotate(total_rows=Window(Count("id")))[:limit])
    return found, found[0].total_rows if found else 0


def _payload_path(run: Run, field: str) -> str:
    return reverse("history:run-payload", args=[run.public_id, field]) + "?format=json"


def _identity(run: Run, link: Absolute) -> str:
    rows = [
        ("Run", f"{run.public_id} ([open in History]({link(run.get_absolute_url())}))"),
        (run.get_kind_display(), text(run.slug)),
        ("Project", text(run.project.slug)),
        ("Status", run.get_status_display()),
        ("Trigger", text(run.trigger_label or run.get_trigger_type_display())),
        ("Actor", text(run.actor or "—")),
        ("Attempt", str(run.attempt)),
        ("Created", utc(run.created_at)),
        ("Started", utc(run.started_at)),
        ("Finished", utc(run.finished_at)),
        ("Queue time", duration(run.queue_wait_ms)),
        ("Duration", duration(run.duration_ms)),
        ("Cost", cost(run.total_cost)),
    ]
    if run.parent_id and run.parent:
        rows.append(("Parent run", run.parent.public_id))
    if run.rerun_of_id and run.rerun_of:
        rows.append(("Rerun of", run.rerun_of.public_id))
    if run.models_used:
        rows.append(("Models", text(", ".join(map(str, run.models_used)))))
    if run.services_used:
        rows.append(("Services", text(", ".join(map(str, run.services_used)))))
    lines = ["| field | value |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows)]
    return "\n".join(lines)


def _payload(title: str, value: Any, whole_at: str) -> str:
    body = as_json(value)
    shown = cut(body, PAYLOAD_CHARS)
    block = f"## {title}\n\n{fenced(shown, 'json')}"
    if len(shown) < len(body):
        block += (
            f"\n\n_Cut: the first {len(shown):,} of {len(body):,} characters are shown "
            f"({len(body) - len(shown):,} cut). The whole {title.lower()}: <{whole_at}>_"
        )
    return block


def _error(error: Any, whole_at: str) -> str:
    if not isinstance(error, dict):
        return _payload("Error", error, whole_at)
    message = str(error.get("message") or "")
    shown = cut(message, MESSAGE_CHARS)
    lines = [f"## Error\n\n**{text(error.get('type') or 'Error')}**: {text(shown)}"]
    if len(shown) < len(message):
        lines.append(f"_The message is cut to {len(shown):,} of {len(message):,} characters._")
    if error.get("step_id"):
        lines.append(f"Failing step: {text(error['step_id'])}")
    if error.get("traceback"):
        lines.append(_traceback(str(error["traceback"])))
    lines.append(f"The whole error: <{whole_at}>")
    return "\n\n".join(lines)


def _traceback(traceback: str) -> str:
    # Its end says where it failed: the last lines are kept.
    lines = traceback.rstrip("\n").splitlines()
    kept = [cut(line, TRACEBACK_LINE_CHARS) for line in lines[-TRACEBACK_LINES:]]
    note = "Traceback"
    if len(lines) > TRACEBACK_LINES:
        note += f" (its last {TRACEBACK_LINES} of {len(lines)} lines)"
    return f"{note}:\n\n{fenced(chr(10).join(kept), 'text')}"


def _steps_table(steps: list[Step], total: int, all_at: str) -> str:
    if not total:
        return "## Steps\n\nNo steps recorded."
    lines = [
        f"## Steps ({total})",
        "",
        "| # | step | kind | status | attempts | duration | error |",
        "|---|---|---|---|---|---|---|",
    ]
    for step in steps:
        lines.append(
            f"| {step.position} | {text(step.step_id)} | {step.kind} | {step.status} "
            f"| {_attempts(step)} | {_step_duration(step)} | {_step_error(step)} |"
        )
    if total > len(steps):
        lines += ["", f"_{total - len(steps):,} more steps are not listed: <{all_at}>_"]
    return "\n".join(lines)


def _attempts(step: Any) -> int:
    settled = step.status in (Step.Status.SUCCESS, Step.Status.FAILED)
    return int(step.attempt_count or (1 if settled else 0))


def _step_duration(step: Step) -> str:
    if step.started_at and step.finished_at:
        return duration((step.finished_at - step.started_at).total_seconds() * 1000)
    return "—"


def _step_error(step: Any) -> str:
    if step.status != Step.Status.FAILED or not step.error_message:
        return ""
    shown = cut(step.error_message, STEP_ERROR_CHARS)
    return text(shown + ("…" if len(shown) < len(step.error_message) else ""))


def _usage_table(run: Run, items: list[UsageItem], total: int) -> str:
    if not total:
        return f"## Usage\n\nNo usage recorded. Total cost: {cost(run.total_cost)}"
    lines = [
        "## Usage",
        "",
        "| kind | what | tokens in | tokens out | quantity | cost |",
        "|---|---|---|---|---|---|",
    ]
    for item in items:
        what = item.model_name if item.kind == UsageItem.Kind.MODEL else item.service or "—"
        quantity = f"{item.quantity.normalize():f} {item.unit}".strip() if item.quantity else ""
        lines.append(
            f"| {item.get_kind_display()} | {text(what)} | {item.tokens_in} | {item.tokens_out} "
            f"| {text(quantity)} | {cost(item.cost)} |"
        )
    if total > len(items):
        lines += ["", f"_{total - len(items):,} more usage lines are not listed._"]
    lines += ["", f"Total cost: {cost(run.total_cost)}"]
    return "\n".join(lines)
