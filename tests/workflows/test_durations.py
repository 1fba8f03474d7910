"""Durations as authors write them: seconds, unit strings, timedeltas; anything else is refused with
a message naming the argument.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.durations import parse_duration

UNITS = {"ms": timedelta(milliseconds=1), "s": timedelta(seconds=1), "m": timedelta(minutes=1)}
UNITS |= {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("250ms", timedelta(milliseconds=250)),
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("2h", timedelta(hours=2)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("1d2h3m4s5ms", timedelta(days=1, hours=2, minutes=3, seconds=4, milliseconds=5)),
        ("1.5h", timedelta(minutes=90)),
        ("0s", timedelta(0)),
    ],
)
def test_a_unit_string_is_the_sum_of_its_parts(text: str, expected: timedelta) -> None:
    assert parse_duration(text, "ctx.sleep(duration)") == expected


def test_case_and_spaces_do_not_matter() -> None:
    assert parse_duration(" 1H 30M ", "x") == parse_duration("1h30m", "x") == timedelta(minutes=90)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (30, timedelta(seconds=30)),
        (0.25, timedelta(milliseconds=250)),
        (0, timedelta(0)),
        (timedelta(hours=3), timedelta(hours=3)),
    ],
)
def test_numbers_are_seconds_and_timedeltas_pass_through(
    value: float | timedelta, expected: timedelta
) -> None:
    assert parse_duration(value, "x") == expected


@pytest.mark.parametrize(
    "value", ["", "   ", "30", "soon", "5 minutes", "1h30", "h", ".5s", "5.s", "-5s", "1y", True]
)
def test_anything_else_is_refused_naming_the_argument_and_the_accepted_forms(value: object) -> None:
    with pytest.raises(ValueError) as refused:
        parse_duration(value, "ctx.hook(timeout=…)")  # type: ignore[arg-type]
    message = str(refused.value)
    assert message.startswith(f"ctx.hook(timeout=…)={value!r} is not a duration")
    assert "'30s', '5m', '1h30m', '7d'" in message


@pytest.mark.parametrize("value", [None, [], {"seconds": 5}, b"5s"])
def test_values_of_other_types_are_refused_the_same_way(value: object) -> None:
    with pytest.raises(ValueError, match=r"^define_workflow\(timeout=…\)=.* is not a duration"):
        parse_duration(value, "define_workflow(timeout=…)")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [-1, -0.5, timedelta(seconds=-1)])
def test_negative_durations_are_refused(value: float | timedelta) -> None:
    with pytest.raises(ValueError, match=r"^retry_after=.* is negative: durations must be zero"):
        parse_duration(value, "retry_after")


amounts = st.integers(min_value=0, max_value=10_000)


@given(parts=st.lists(st.tuples(amounts, st.sampled_from(sorted(UNITS))), min_size=1, max_size=6))
def test_any_string_of_amounts_and_units_parses_to_their_total_to_the_millisecond(
    parts: list[tuple[int, str]],
) -> None:
    text = "".join(f"{amount}{unit}" for amount, unit in parts)
    total = sum((n * UNITS[u] for n, u in parts), timedelta(0))
    # Seconds are summed as floats: exact to well within the smallest unit, a millisecond.
    assert abs(parse_duration(text, "x") - total) < timedelta(milliseconds=1)


@given(seconds=st.floats(min_value=0, max_value=10**8, allow_nan=False))
def test_seconds_and_the_same_timedelta_give_the_same_duration(seconds: float) -> None:
    assert parse_duration(seconds, "x") == parse_duration(timedelta(seconds=seconds), "x")


@given(text=st.text(alphabet="0123456789.smhdw -xyz", max_size=40))
def test_any_string_is_a_duration_or_a_refusal_that_names_the_argument(text: str) -> None:
    try:
        parsed = parse_duration(text, "poll(every=…)")
    except ValueError as exc:
        assert str(exc).startswith(f"poll(every=…)={text!r} is ")
    else:
        assert parsed >= timedelta(0)


@pytest.mark.parametrize("value", [float("inf"), float("nan"), 10**20, "999999999w"])
def test_a_duration_no_clock_can_hold_is_refused_naming_the_argument(value: object) -> None:
    with pytest.raises(ValueError) as refused:
        parse_duration(value, "ctx.sleep(duration)")  # type: ignore[arg-type]
    assert str(refused.value).startswith(f"ctx.sleep(duration)={value!r} is ")
