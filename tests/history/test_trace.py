"""The Trace tab's waterfall: spans in tree order, each placed on the run's timeline by its depth,
offset and width, with its log lines beside it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from history.models import LogRecord, Span
from history.trace import waterfall

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


def span(
    name: str, start: float, end: float | None, parent: str = "", span_id: str | None = None
) -> Span:
    """A span ``start`` to ``end`` seconds after T0; ``end`` None while it runs."""
    return Span(
        span_id=span_id or name,
        parent_span_id=parent,
        name=name,
        started_at=T0 + timedelta(seconds=start),
        ended_at=None if end is None else T0 + timedelta(seconds=end),
    )


def placed(spans: list[Span]) -> list[tuple[str, int, float, float]]:
    return [(bar.span.name, bar.depth, bar.offset, bar.width) for bar in waterfall(spans, [])]


def test_no_spans_make_no_bars() -> None:
    assert waterfall([], []) == []


def test_nested_spans_come_after_their_parent_one_level_deeper() -> None:
    spans = [
        span("model", 3, 4, parent="agent"),
        span("run", 0, 10),
        span("agent", 2, 6, parent="run"),
    ]
    assert placed(spans) == [("run", 0, 0, 100), ("agent", 1, 20, 40), ("model", 2, 30, 10)]
    assert [bar.duration_ms for bar in waterfall(spans, [])] == [10_000, 4_000, 1_000]


def test_siblings_are_ordered_by_start_and_overlapping_ones_share_a_depth() -> None:
    spans = [
        span("run", 0, 8),
        span("late", 4, 8, parent="run"),
        span("early", 1, 6, parent="run"),
        span("early child", 2, 3, parent="early"),
    ]
    assert placed(spans) == [
        ("run", 0, 0, 100),
        ("early", 1, 12.5, 62.5),
        ("early child", 2, 25, 12.5),
        ("late", 1, 50, 50),
    ]


def test_a_span_whose_parent_was_not_recorded_is_shown_as_a_root() -> None:
    spans = [span("run", 0, 10), span("orphan", 5, 10, parent="lost")]
    assert placed(spans) == [("run", 0, 0, 100), ("orphan", 0, 50, 50)]


def test_a_zero_length_span_still_shows_a_sliver() -> None:
    spans = [span("run", 0, 10), span("clock", 5, 5, parent="run")]
    assert placed(spans)[1] == ("clock", 1, 50, 0.5)


def test_an_unfinished_span_is_a_sliver_at_its_start_with_no_duration() -> None:
    spans = [span("run", 0, None), span("done", 0, 4, parent="run"), span("step", 2, None, "run")]
    bars = waterfall(spans, [])
    assert [(b.span.name, b.offset, b.width, b.duration_ms) for b in bars] == [
        ("run", 0, 0.5, None),
        ("done", 0, 100, 4_000),
        ("step", 50, 0.5, None),
    ]


def test_the_timeline_runs_from_the_first_start_to_the_last_end() -> None:
    spans = [span("a", 10, 12), span("b", 11, 30)]
    assert placed(spans) == [("a", 0, 0, 10), ("b", 0, 5, 95)]


def test_offsets_and_widths_are_rounded_to_thousandths_of_a_percent() -> None:
    spans = [span("run", 0, 3), span("third", 1, 2, parent="run")]
    assert placed(spans)[1] == ("third", 1, 33.333, 33.333)


def test_log_lines_go_with_the_bar_of_their_span_in_order() -> None:
    spans = [span("run", 0, 10), span("step", 2, 4, parent="run")]
    logs = [
        LogRecord(span_id="step", created_at=T0 + timedelta(seconds=3), message="retrying"),
        LogRecord(span_id="run", created_at=T0, message="started"),
        LogRecord(span_id="step", created_at=T0 + timedelta(seconds=3.5), message="done"),
    ]
    bars = waterfall(spans, logs)
    assert [[log.message for log in bar.logs] for bar in bars] == [
        ["started"],
        ["retrying", "done"],
    ]


tree = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=1000),
        st.floats(min_value=0, max_value=1000) | st.none(),
        st.integers(min_value=-1, max_value=30),
    ),
    min_size=1,
    max_size=30,
)


@given(tree=tree)
def test_every_span_gets_one_bar_inside_the_timeline_below_its_parent(
    tree: list[tuple[float, float | None, int]],
) -> None:
    # Each span's parent is an earlier one (or none): a forest, as the engine records it.
    spans = [
        span(f"s{i}", start, None if length is None else start + length, f"s{parent}")
        if 0 <= parent < i
        else span(f"s{i}", start, None if length is None else start + length)
        for i, (start, length, parent) in enumerate(tree)
    ]
    bars = waterfall(spans, [])
    assert sorted(bar.span.name for bar in bars) == sorted(s.name for s in spans)
    where = {bar.span.span_id: (i, bar.depth) for i, bar in enumerate(bars)}
    for bar in bars:
        assert 0 <= bar.offset <= 100 and 0 <= bar.width and bar.offset + bar.width <= 100.001
        if bar.span.parent_span_id:
            index, depth = where[bar.span.parent_span_id]
            assert index < where[bar.span.span_id][0] and bar.depth == depth + 1
        else:
            assert bar.depth == 0
