"""Where each step lives in the log: its position and its step id, and the determinism check.

Pure: no I/O. Step ids are ``step:<key>#<n>`` for the workflow's own steps (``n`` counts that
key's earlier steps) and ``step:<key>#<branch>/<n>`` for steps asked for inside a concurrent
branch (see ``branches``), so a retry in one branch never renumbers another. A recorded step
is found by its id; a new one takes the next free position.

Runs recorded before branches were numbered used one counter for the whole run: position and
count in the order steps were asked for. Their logs say so (``per_branch`` is False), and they
keep that numbering, so runs in flight across the upgrade replay as they were recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import NonDeterminismError
from .log import StepRecord


@dataclass(frozen=True)
class Slot:
    position: int
    step_id: str
    record: StepRecord | None


def branch_of(step_id: str) -> str:
    """The branch path a step id was numbered in (``""`` for the workflow's own steps)."""
    number = step_id.rpartition("#")[2]
    return number.rpartition("/")[0]


def last_positions(top_level: Iterable[tuple[int, str]]) -> dict[str, int]:
    """The last position of each branch among top-level ``(position, step_id)`` records: a failed
    step before its branch's last was caught, and the branch went on past it."""
    last: dict[str, int] = {}
    for position, step_id in top_level:
        last[branch_of(step_id)] = max(position, last.get(branch_of(step_id), -1))
    return last


def step_id_for(key: str, branch: str, n: int) -> str:
    return f"step:{key}#{branch}/{n}" if branch else f"step:{key}#{n}"


class Allocator:
    """Hands out slots in the order workflow code asks for steps, checking them against the log.

    ``records`` is the pass's own map of position to record; steps recorded during the pass are
    added to it by the pass.
    """

    def __init__(
        self,
        run_id: str,
        records: dict[int, StepRecord],
        per_branch: bool,
        versions: tuple[str, str] = ("", ""),
    ) -> None:
        self.run_id, self.records, self.per_branch = run_id, records, per_branch
        self.versions = versions  # the run's and the running code's, for NonDeterminismError
        ordered = sorted(records.values(), key=lambda r: r.position)
        self.by_id = {r.step_id: r.position for r in ordered}
        self.recorded: defaultdict[str, list[str]] = defaultdict(list)
        for record in ordered:
            self.recorded[branch_of(record.step_id)].append(record.step_id)
        self.next_free = ordered[-1].position + 1 if ordered else 0
        self.counts: defaultdict[str, defaultdict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.asks: defaultdict[str, int] = defaultdict(int)
        self.asked = 0  # one counter per run: the next position
        self.claimed: set[int] = set()

    def allocate(self, key: str, branch: str) -> Slot:
        slot = self._branch_slot(key, branch) if self.per_branch else self._counted_slot(key)
        self.claimed.add(slot.position)
        return slot

    def marker_recorded(self, key: str, branch: str) -> bool | None:
        """Whether the history has the marker ``key`` where the code asks for it next: True, False
        when it has another step there (recorded by the code before the marker was added), None
        when it has nothing there yet. Takes no slot.
        """
        if self.per_branch:
            step_id = step_id_for(key, branch, self.counts[branch][key])
            ask, recorded = self.asks[branch], self.recorded[branch]
            there = recorded[ask] if ask < len(recorded) else None
        else:
            step_id = step_id_for(key, "", self.counts[""][key])
            record = self.records.get(self.asked)
            there = record.step_id if record is not None else None
        return None if there is None else there == step_id

    def unclaimed(self) -> list[StepRecord]:
        """Recorded steps this pass never asked for: a workflow that changed since."""
        return [r for p, r in sorted(self.records.items()) if p not in self.claimed]

    def _counted_slot(self, key: str) -> Slot:
        position, self.asked = self.asked, self.asked + 1
        step_id = step_id_for(key, "", self.counts[""][key])
        self.counts[""][key] += 1
        record = self.records.get(position)
        if record is not None and record.step_id != step_id:
            raise NonDeterminismError(
                self.run_id, position, record.step_id, step_id, record.copied, self.versions
            )
        return Slot(position, step_id, record)

    def _branch_slot(self, key: str, branch: str) -> Slot:
        counts = self.counts[branch]
        step_id = step_id_for(key, branch, counts[key])
        counts[key] += 1
        ask = self.asks[branch]
        self.asks[branch] += 1
        recorded = self.recorded[branch]
        if ask < len(recorded) and recorded[ask] != step_id:
            position = self.by_id[recorded[ask]]
            copied = self.records[position].copied
            raise NonDeterminismError(
                self.run_id, position, recorded[ask], step_id, copied, self.versions
            )
        known = self.by_id.get(step_id)
        if known is not None:
            return Slot(known, step_id, self.records.get(known))
        position, self.next_free = self.next_free, self.next_free + 1
        self.by_id[step_id] = position
        return Slot(position, step_id, None)
