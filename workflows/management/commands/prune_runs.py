"""``manage.py prune_runs [--dry-run]``: delete finished runs past their retention, and say what
went.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from workflows import retention

ROW_LABELS = {
    "steps": "steps",
    "usage": "usage lines",
    "spans": "spans",
    "logs": "logs",
    "deliveries": "trigger deliveries",
}


class Command(BaseCommand):
    help = (
        "Delete finished runs past their retention (KEYSTROKE_RETENTION, retention= on a workflow "
        "or agent) "
        "with their steps, usage, spans, logs and trigger deliveries, and deliveries past their "
        "window."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be deleted; delete nothing."
        )

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        try:
            policy = retention.describe(retention.current_retention())
            pruned = retention.prune(dry_run=dry_run)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from None
        for line in policy or [
            "No retention is set (KEYSTROKE_RETENTION, retention=): every finished run is kept."
        ]:
            self.stdout.write(line)
        self.stdout.write("\n".join(report(pruned, dry_run)))


def report(pruned: retention.Pruned, dry_run: bool) -> list[str]:
    counts = pruned.counts()
    rows = ", ".join(f"{counts[kind]:,} {label}" for kind, label in ROW_LABELS.items())
    if not counts["runs"] and not counts["deliveries"]:
        return ["Nothing to delete."]
    lines = [f"{'Would delete' if dry_run else 'Deleted'} {counts['runs']:,} runs:"]
    table = [
        (slug, status, n)
        for slug, statuses in counts["by_workflow"].items()
        for status, n in statuses.items()
    ]
    width = max([len("workflow"), *(len(slug) for slug, _, _ in table)])
    lines += [f"  {'workflow':<{width}}  {'status':<8}  {'runs':>9}"]
    lines += [f"  {slug:<{width}}  {status:<8}  {n:>9,}" for slug, status, n in table]
    lines.append(f"With them {rows}.")
    return lines
