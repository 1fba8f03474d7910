"""The seeder's plan of a run: the steps its target asks for, in the engine's positions and step
ids, each placed inside the agent or prompt_llm step it runs in and on the run's time.
"""

from __future__ import annotations

import pytest

from history.management.seeding.catalogue import TARGET
from history.management.seeding.plans import Planned, plan


def shape(steps: tuple[Planned, ...]) -> list[tuple[str, str, int | None]]:
    return [(step.step_id, step.spec.kind, step.parent) for step in steps]


def test_an_agent_run_holds_every_model_and_tool_call_inside_its_agent_step() -> None:
    steps = plan(TARGET["lead-researcher"], 2, 8)
    assert shape(steps) == [
        ("step:lead-researcher#0", "agent", None),
        ("step:model#0", "model", 0),
        ("step:lookup-company#0", "action", 0),
        ("step:model#1", "model", 0),
        ("step:lookup-company#1", "action", 0),
        ("step:model#2", "model", 0),
    ]
    assert steps[0].end == 5 and steps[0].spec.model == "openai:gpt-4o-mini"


def test_a_prompt_llm_step_holds_its_model_call_and_lasts_as_long() -> None:
    steps = plan(TARGET["weekly-sales-summary"], 4, 8)
    assert shape(steps)[4:] == [
        ("step:fetch-region-sales#3", "action", None),
        ("step:llm#0", "llm", None),
        ("step:model#0", "model", 5),
        ("step:post-message#0", "action", None),
    ]
    llm, call = steps[5], steps[6]
    assert llm.end == 6 and llm.offset == call.offset and call.length > 0
    assert llm.length == pytest.approx(call.length)


def test_steps_follow_one_another_within_the_run() -> None:
    steps = plan(TARGET["nightly-export"], 3, 10)
    ends = [step.offset + step.length for step in steps]
    assert steps[0].offset == 0 and ends[-1] < 1
    assert all(ends[i] <= steps[i + 1].offset for i in range(len(steps) - 1))
    assert {step.end for step in steps} == {0}  # no step here holds others


@pytest.mark.parametrize(("limit", "count"), [(1, 1), (3, 3), (50, 6)])
def test_the_limit_cuts_the_plan_after_that_many_steps(limit: int, count: int) -> None:
    steps = plan(TARGET["lead-researcher"], 2, limit)
    assert len(steps) == count
    assert steps[0].end == count - 1  # the agent step holds what is left of it
    assert steps[0].length == pytest.approx(steps[-1].offset + steps[-1].length)
