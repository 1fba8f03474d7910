"""How long finished runs are kept, and the prune that deletes the expired ones.

A policy says, for each finished status (success, failed, canceled), how long after it finished
a run is kept; a status it leaves out is kept forever. ``KEYSTROKE_RETENTION`` is the policy of
every run; ``retention=`` on a workflow or agent replaces it, status by status, for that
target's runs. Runs that have not finished are never deleted, whatever their age.

A run goes only with its whole tree: a child is deleted with its top-level run, never before
it, and a tree goes only once every run in it has finished and is past its own retention. A
child kept longer keeps its parent; a child still active keeps the whole tree.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from .conf import engine_settings
from .durations import parse_duration
from .registry import registry

STATUSES = ("success", "failed", "canceled")
_ACTIVE = ("queued", "running", "sleeping", "waiting")
ROW_KINDS = ("steps", "usage", "spans", "logs", "deliveries")
FOREVER = "forever"
EXAMPLE = "success=30d,failed=90d,canceled=30d"
# A repeated Idempotency-Key must find its first answer for at least this long.
IDEMPOTENCY_WINDOW = timedelta(hours=24)

Policy = dict[str, timedelta | None]  # status -> how long its runs are kept; None: forever


# -- policies ---------------------------------------------------------------------------------


def parse_retention(value: Any, what: str) -> Policy:
    """A policy from ``"success=30d,failed=forever"``, ``"30d"`` (every status), ``"forever"``,
    a dict ``{"success": "30d", "failed": None}`` (None: forever), or None (an empty policy).

    Raises ValueError naming ``what`` and saying what to write instead.
    """
    if value is None:
        return {}
    if isinstance(value, Mapping):
        items = [(str(status).strip().lower(), keep) for status, keep in value.items()]
    elif isinstance(value, str):
        items = _items(value, what)
    else:
        raise ValueError(
            f"{what}={value!r}: give a string such as {EXAMPLE!r}, a dict such as "
            f"{{'success': '30d'}}, or None."
        )
    policy: Policy = {}
    for status, keep in items:
        if status in policy:
            raise ValueError(f"{what}={value!r}: {status} is given twice; give each status once.")
        policy[status] = _keep(status, keep, what, value)
    return policy


def _items(text: str, what: str) -> list[tuple[str, Any]]:
    text = text.strip()
    if not text:
        return []
    if "=" not in text and "," not in text and text.lower() not in (*STATUSES, *_ACTIVE):
        # one duration, or forever, for every finished status
        return [(status, text) for status in STATUSES]
    items = []
    for part in text.split(","):
        status, equals, keep = (piece.strip() for piece in part.partition("="))
        if not (equals and status and keep):
            raise ValueError(
                f"{what}={text!r}: {part.strip()!r} is not status=duration; write e.g. {EXAMPLE}."
            )
        items.append((status.lower(), keep))
    return items


def _keep(status: str, keep: Any, what: str, value: Any) -> timedelta | None:
    if status not in STATUSES:
        raise ValueError(
            f"{what}={value!r}: {status!r} is not a finished status. Name success, failed or "
            f"canceled, e.g. {EXAMPLE}; runs that have not finished are never deleted."
        )
    if keep is None or isinstance(keep, str) and keep.strip().lower() == FOREVER:
        return None
    try:
        duration = parse_duration(keep, what)
    except ValueError:
        raise ValueError(
            f"{what}={value!r}: {keep!r} is not a duration for {status}; write e.g. 12h, 30d or "
            "4w, or forever to keep those runs."
        ) from None
    if duration <= timedelta(0):
        raise ValueError(
            f"{what}={value!r}: {status} must be kept longer than zero; write e.g. 1h, or forever."
        )
    return duration


def configured_policy() -> Policy:
    """``KEYSTROKE_RETENTION``; ImproperlyConfigured naming the variable when it cannot be read."""
    try:
        return parse_retention(engine_settings()["RETENTION"] or None, "KEYSTROKE_RETENTION")
    except ValueError as exc:
        raise ImproperlyConfigured(str(exc)) from None


def delivery_window() -> timedelta:
    """How long webhook and API deliveries answer a repeated Idempotency-Key (at least a day)."""
    raw = engine_settings()["DELIVERY_RETENTION"]
    try:
        window = parse_duration(raw, "KEYSTROKE_DELIVERY_RETENTION")
    except ValueError as exc:
        raise ImproperlyConfigured(f"{exc} The default is 7d.") from None
    if window < IDEMPOTENCY_WINDOW:
        raise ImproperlyConfigured(
            f"KEYSTROKE_DELIVERY_RETENTION={raw!r} is shorter than 24h: a repeated "
            "Idempotency-Key must be "
            "answered for at least a day. Set 24h or more (the default is 7d)."
        )
    return window


@dataclass(frozen=True)
class Rule:
    """Top-level runs of one status finished before ``before``: of the slugs in ``only`` if it is
    given, else of every slug but those in ``exclude`` (which have rules of their own)."""

    status: str
    before: datetime
    only: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()


@dataclass(frozen=True)
class Retention:
    """The global policy, and the entries of each target that sets its own."""

    default: Policy
    targets: dict[str, Policy] = field(default_factory=dict)

    def keep(self, slug: str, status: str) -> timedelta | None:
        own = self.targets.get(slug, {})
        return own[status] if status in own else self.default.get(status)

    def expired(self, run: Any, now: datetime) -> bool:
        keep = self.keep(run.slug, run.status) if run.status in STATUSES else None
        return keep is not None and run.finished_at is not None and run.finished_at < now - keep

    def rules(self, now: datetime) -> list[Rule]:
        """One rule per status and duration, so each is one index range of finished runs."""
        rules = []
        for status in STATUSES:
            default = self.default.get(status)
            own = {slug: self.keep(slug, status) for slug in self.targets}
            own = {slug: keep for slug, keep in own.items() if keep != default}
            if default is not None:
                rules.append(Rule(status, now - default, exclude=tuple(sorted(own))))
            for keep in sorted({keep for keep in own.values() if keep is not None}):
                rules.append(
                    Rule(
                        status,
                        now - keep,
                        only=tuple(sorted(s for s, k in own.items() if k == keep)),
                    )
                )
        return rules


def current_retention() -> Retention:
    targets = {target.slug: target.retention for target in registry.workflows() if target.retention}
    return Retention(configured_policy(), targets)


# -- the prune --------------------------------------------------------------------------------


@dataclass
class Pruned:
    """What one prune deleted (a dry run: would delete), by organization."""

    # (organization, slug, status)
    runs: Counter[tuple[int, str, str]] = field(default_factory=Counter)
    # (organization, one of ROW_KINDS)
    rows: Counter[tuple[int, str]] = field(default_factory=Counter)
    batches: int = 0
    finished: bool = True  # False: the time budget ran out first; the next prune goes on
    # organization -> its audit record of this prune
    audits: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.runs.values())

    def organizations(self) -> list[int]:
        return sorted({key[0] for key in self.runs} | {key[0] for key, n in self.rows.items() if n})

    def counts(self, organization: int | None = None) -> dict[str, Any]:
        """Runs by workflow and status, and how many rows of each kind went with them."""
        by_workflow: dict[str, dict[str, int]] = defaultdict(dict)
        for (org, slug, status), n in sorted(self.runs.items()):
            if organization in (None, org):
                by_workflow[slug][status] = by_workflow[slug].get(status, 0) + n
        rows = {
            kind: sum(
                n for (org, k), n in self.rows.items() if k == kind and organization in (None, org)
            )
            for kind in ROW_KINDS
        }
        runs = sum(n for statuses in by_workflow.values() for n in statuses.values())
        return {"runs": runs, "by_workflow": dict(by_workflow), **rows}


@dataclass(frozen=True)
class _Plan:
    retention: Retention
    now: datetime
    limit: int
    dry_run: bool
    deliveries_before: datetime  # every delivery older than this goes: its window has passed
    linked_before: datetime  # a delivery that answered with a deleted run goes once older than this


def prune(
    *,
    dry_run: bool = False,
    seconds: float | None = None,
    batch_size: int | None = None,
    now: datetime | None = None,
) -> Pruned:
    """Delete expired runs with their rows, and deliveries past their window, batch by batch.

    Each batch is its own short transaction, so History and the engine wait on none of it for
    long. ``seconds`` bounds the whole prune: the beat runs it again later and it goes on from
    the oldest run left. ``dry_run`` counts the same batches and deletes nothing.
    """
    retention = current_retention()
    now = now or timezone.now()
    window = delivery_window()
    limit = batch_size or engine_settings()["PRUNE_BATCH_SIZE"]
    plan = _Plan(retention, now, limit, dry_run, now - window, now - IDEMPOTENCY_WINDOW)
    pruned = Pruned()
    rules = (_rule_batches(plan, rule, pruned) for rule in retention.rules(now))
    batches = chain(_delivery_batches(plan, pruned), *rules)
    deadline = None if seconds is None else time.monotonic() + seconds
    while True:
        if deadline is not None and time.monotonic() >= deadline:
            pruned.finished = False
            break
        if next(batches, None) is None:
            break
        pruned.batches += 1
    return pruned


def _delivery_batches(plan: _Plan, pruned: Pruned) -> Iterator[bool]:
    """Deliveries whose idempotency window has passed, oldest first; one count in a dry run."""
    from . import store  # the SDK imports this module, and the store needs Django's models loaded

    while True:
        with transaction.atomic(durable=True):
            if plan.dry_run:
                gone = store.count_old_deliveries(plan.deliveries_before)
            else:
                gone = store.delete_old_deliveries_txn(plan.deliveries_before, plan.limit)
            pruned.rows.update({(org, "deliveries"): n for org, n in gone.items()})
            if not plan.dry_run and gone:
                _audit_txn(pruned, set(gone))
        done = plan.dry_run or sum(gone.values()) < plan.limit
        if gone:
            yield True
        if done:
            return


def _rule_batches(plan: _Plan, rule: Rule, pruned: Pruned) -> Iterator[bool]:
    """The expired trees of one rule, a batch of at most ``plan.limit`` runs at a time."""
    from . import store

    after: tuple[datetime, int] | None = None
    while True:
        with transaction.atomic(durable=True):
            roots = store.expired_roots_txn(
                rule.status,
                rule.before,
                rule.only,
                rule.exclude,
                after,
                plan.limit,
                lock=not plan.dry_run,
            )
            if not roots:
                return
            runs, after = _whole_trees(store, roots, plan)
            if runs:
                _take(store, runs, plan, pruned)
        yield True
        if len(roots) < plan.limit and after == (roots[-1].finished_at, roots[-1].pk):
            return  # a short batch, all of it seen: nothing older is left for this rule


def _take(store: Any, runs: list[Any], plan: _Plan, pruned: Pruned) -> None:
    """Delete a batch of runs with their rows; in a dry run, count them."""
    if plan.dry_run:  # deliveries older than the window are left to the sweep's count
        rows = store.count_runs_rows(runs, plan.linked_before, plan.deliveries_before)
    else:  # the sweep went first and took those
        rows = store.delete_runs_txn(runs, plan.linked_before)
    pruned.rows.update(rows)
    pruned.runs.update((run.organization_id, run.slug, run.status) for run in runs)
    if not plan.dry_run:
        _audit_txn(pruned, {run.organization_id for run in runs})


def _whole_trees(
    store: Any, roots: list[Any], plan: _Plan
) -> tuple[list[Any], tuple[datetime, int]]:
    """The runs of every tree in which all runs are expired, and the cursor past the last root seen.

    A batch takes trees until it would pass ``plan.limit`` runs; a tree larger than that goes alone.
    """
    descendants: dict[int, list[Any]] = defaultdict(list)
    found, busy = store.run_descendants_txn([root.pk for root in roots], lock=not plan.dry_run)
    for run in found:
        descendants[run.root_id].append(run)
    taken: list[Any] = []
    after = (roots[0].finished_at, roots[0].pk)
    for root in roots:
        tree = [root, *descendants[root.pk]]
        if taken and len(taken) + len(tree) > plan.limit:
            break
        after = (root.finished_at, root.pk)
        if root.pk not in busy and all(plan.retention.expired(run, plan.now) for run in tree):
            taken += tree
    return taken, after


def _audit_txn(pruned: Pruned, organizations: set[int]) -> None:
    """One record per organization and prune, kept up to date in each batch's transaction."""
    from . import store

    for organization in sorted(organizations):
        audit = pruned.audits.get(organization)
        pruned.audits[organization] = store.audit_prune_txn(
            organization, pruned.counts(organization), audit
        )


def describe(retention: Retention) -> list[str]:
    """The policy in words, for the prune command."""
    if not retention.rules(timezone.now()):
        return []
    lines = [f"KEYSTROKE_RETENTION: {_policy_text(retention.default) or 'not set'}"]
    lines += [
        f"{slug}: {_policy_text(policy)}" for slug, policy in sorted(retention.targets.items())
    ]
    return lines


def _policy_text(policy: Policy) -> str:
    return ", ".join(
        f"{status} {_duration_text(policy[status])}" for status in STATUSES if status in policy
    )


def _duration_text(keep: timedelta | None) -> str:
    if keep is None:
        return FOREVER
    seconds = keep.total_seconds()
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
