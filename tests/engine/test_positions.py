"""Step positions and ids: what replay finds a step's record by, and when it refuses a history."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.engine.kinds import SUCCESS
from workflows.engine.log import StepRecord
from workflows.engine.positions import Allocator, branch_of, step_id_for
from workflows.errors import NonDeterminismError


def recorded(*step_ids: str) -> dict[int, StepRecord]:
    return {i: StepRecord(i, step_id, "action", SUCCESS) for i, step_id in enumerate(step_ids)}


def test_the_workflows_own_steps_are_numbered_per_key_in_the_order_asked() -> None:
    slots = Allocator("run_1", {}, per_branch=True)
    asked = [slots.allocate(key, "") for key in ("fetch", "post", "fetch")]
    assert [(s.position, s.step_id) for s in asked] == [
        (0, "step:fetch#0"),
        (1, "step:post#0"),
        (2, "step:fetch#1"),
    ]
    assert all(s.record is None for s in asked)


def test_a_branch_numbers_its_steps_on_its_own_whatever_the_interleaving() -> None:
    slots = Allocator("run_1", {}, per_branch=True)
    ids = [slots.allocate("fetch", b).step_id for b in ("1", "0", "1", "0.0")]
    assert ids == ["step:fetch#1/0", "step:fetch#0/0", "step:fetch#1/1", "step:fetch#0.0/0"]


def test_a_recorded_step_is_found_by_its_id_not_by_the_order_it_is_asked_for_again() -> None:
    first = Allocator("run_1", {}, per_branch=True)
    for branch in ("0", "1", "1"):
        first.allocate("fetch", branch)
    records = recorded("step:fetch#0/0", "step:fetch#1/0", "step:fetch#1/1")
    again = Allocator("run_1", records, per_branch=True)
    # Branch 1 runs ahead this time: both of its steps before branch 0's.
    slots = [again.allocate("fetch", branch) for branch in ("1", "1", "0")]
    assert [(s.position, s.step_id) for s in slots] == [
        (1, "step:fetch#1/0"),
        (2, "step:fetch#1/1"),
        (0, "step:fetch#0/0"),
    ]
    assert [s.record is records[s.position] for s in slots] == [True, True, True]


def test_a_new_step_takes_the_position_after_every_recorded_one() -> None:
    slots = Allocator("run_1", recorded("step:a#0", "step:b#0"), per_branch=True)
    slots.allocate("a", "")
    new = slots.allocate("c", "2")
    assert (new.position, new.step_id, new.record) == (2, "step:c#2/0", None)
    assert slots.allocate("c", "2").position == 3


def test_a_history_with_a_different_step_in_a_branch_is_non_determinism() -> None:
    slots = Allocator("run_1", recorded("step:fetch#0/0", "step:post#0/0"), per_branch=True)
    slots.allocate("fetch", "0")
    with pytest.raises(NonDeterminismError) as caught:
        slots.allocate("notify", "0")
    assert (caught.value.position, caught.value.recorded) == (1, "step:post#0/0")
    assert caught.value.requested == "step:notify#0/0"


def test_a_run_numbered_with_one_counter_keeps_it_in_branches_too() -> None:
    # Recorded before branches had numbers: gather's three steps are fetch#0..2.
    records = recorded("step:sleep#0", "step:fetch#0", "step:fetch#1", "step:fetch#2")
    slots = Allocator("run_1", records, per_branch=False)
    asked = [slots.allocate("sleep", "")] + [slots.allocate("fetch", b) for b in "012"]
    assert [s.step_id for s in asked] == [r.step_id for r in records.values()]
    assert [s.record for s in asked] == list(records.values())


def test_one_counter_keeps_counting_over_a_step_a_retry_forgot() -> None:
    # A retry deletes the failed step's row: its position is empty, the numbering is not.
    records = recorded("step:sleep#0", "step:fetch#0")
    del records[1]
    records[2] = StepRecord(2, "step:fetch#1", "action", SUCCESS)
    slots = Allocator("run_1", records, per_branch=False)
    asked = [
        slots.allocate("sleep", ""),
        slots.allocate("fetch", "0"),
        slots.allocate("fetch", "1"),
    ]
    assert [(s.position, s.step_id, s.record is not None) for s in asked] == [
        (0, "step:sleep#0", True),
        (1, "step:fetch#0", False),
        (2, "step:fetch#1", True),
    ]


def test_one_counter_still_reports_a_changed_step() -> None:
    slots = Allocator("run_1", recorded("step:fetch#0", "step:fetch#1"), per_branch=False)
    slots.allocate("fetch", "0")
    with pytest.raises(NonDeterminismError):
        slots.allocate("post", "1")


def test_recorded_steps_nobody_asked_for_are_unclaimed() -> None:
    slots = Allocator("run_1", recorded("step:a#0", "step:b#0/0", "step:c#0"), per_branch=True)
    slots.allocate("a", "")
    slots.allocate("c", "")
    assert [r.step_id for r in slots.unclaimed()] == ["step:b#0/0"]


keys = st.sampled_from(["fetch", "post", "llm", "sleep"])
branches = st.sampled_from(["", "0", "1", "1.0", "2"])


@given(st.lists(st.tuples(keys, branches), max_size=30), st.randoms())
def test_any_interleaving_of_the_same_branch_sequences_finds_the_same_records(
    asks: list[tuple[str, str]], rng: random.Random
) -> None:
    first = Allocator("run_1", {}, per_branch=True)
    records: dict[int, StepRecord] = {}
    for key, branch in asks:
        slot = first.allocate(key, branch)
        records[slot.position] = StepRecord(slot.position, slot.step_id, "action", SUCCESS)
    # Replay: each branch asks in its own order, the branches interleave differently.
    per_branch: dict[str, list[str]] = {}
    for key, branch in asks:
        per_branch.setdefault(branch, []).append(key)
    order = [b for b, ks in per_branch.items() for _ in ks]
    rng.shuffle(order)
    again, cursor = Allocator("run_1", dict(records), per_branch=True), {b: 0 for b in per_branch}
    for branch in order:
        key = per_branch[branch][cursor[branch]]
        cursor[branch] += 1
        slot = again.allocate(key, branch)
        assert slot.record is not None and slot.record.step_id == slot.step_id


@given(st.text(alphabet="abc-", min_size=1, max_size=8), branches, st.integers(0, 99))
def test_a_step_id_names_the_branch_it_was_numbered_in(key: str, branch: str, n: int) -> None:
    assert branch_of(step_id_for(key, branch, n)) == branch
