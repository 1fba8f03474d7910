"""The Trace tab's timeline: passes, attempts and the waits between them (backoff, sleep, hook,
child run) as spans at the times the steps recorded, named without repetition, paged."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

from history.models import Organization, Run
from history.timeline import page

from ..factories import make_run, member
from .trace_runs import at, investigated_run, span, step_span

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(org: Organization) -> Client:
    return member(org, name="alice")


def rows(run: Run) -> list[tuple[str, str, object, object]]:
    return [(p.row.kind, p.row.name, p.row.started_at, p.row.ended_at) for p in page(run).rows]


def test_it_shows_every_pass_attempt_and_wait_on_one_timeline(org: Organization) -> None:
    run = investigated_run(org)
    assert rows(run) == [
        ("pass", "signup-pipeline", at(0), at(2)),
        ("action", "lookup-company", at(0.5), at(1.5)),
        ("backoff", "lookup-company", at(1.5), at(10.1)),
        ("pass", "signup-pipeline", at(10), at(11)),
        ("action", "lookup-company", at(10.1), at(11)),
        ("sleep", "sleep", at(11.5), at(20)),
        ("pass", "signup-pipeline", at(20), at(21)),
        ("hook", "hook:approval", at(20.5), at(30)),
        ("pass", "signup-pipeline", at(30), at(31)),
        ("child", "child:greeting", at(30.5), at(50)),
        ("pass", "signup-pipeline", at(50), at(51)),
    ]


def test_waits_carry_their_wake_resume_and_timeout_times(org: Organization) -> None:
    run = investigated_run(org)
    waits = {p.row.kind: p.row for p in page(run).rows if p.row.is_wait}
    assert waits["backoff"].wakes_at == at(10.1) and waits["backoff"].attempt == 2
    assert waits["sleep"].wakes_at == at(20)
    assert waits["hook"].wakes_at == at(20.5 + 3600) and waits["hook"].ended_at == at(30)
    assert waits["child"].child_run == run.steps.get(kind="workflow").child_run.public_id


def test_a_run_sleeping_for_its_retry_shows_the_backoff_until_its_wake_time(
    org: Organization,
) -> None:
    run = make_run(org, "retrying", status="sleeping", started_at=at(0))
    root = span(run, "workflow retrying", 0, 1)
    step_span(run, root, "step:charge#0", "action", 1, 0.2, 0.8, status="error")
    attempt = {"attempt": 1, "started_at": at(0.2).isoformat(), "finished_at": at(0.8).isoformat()}
    run.steps.create(
        position=0,
        step_id="step:charge#0",
        kind="action",
        status="sleeping",
        started_at=at(0.2),
        wake_at=at(5),
        attempts=[{**attempt, "error": {"type": "Boom"}, "max_attempts": 3}],
    )
    backoff = [p.row for p in page(run).rows if p.row.kind == "backoff"]
    assert [(b.started_at, b.ended_at, b.wakes_at, b.status) for b in backoff] == [
        (at(0.8), None, at(5), "waiting")
    ]


def test_span_names_do_not_repeat_the_kind_and_keep_the_step_id_in_the_title(
    alice: Client, org: Organization
) -> None:
    run = investigated_run(org)
    text = alice.get(f"/history/{run.public_id}/?tab=trace").content.decode()
    assert "step step:" not in text and "workflow signup-pipeline" not in text
    names = re.findall(r'<span class="span-name">([^<]+)</span>', text)
    assert names[:3] == ["signup-pipeline", "lookup-company", "lookup-company"]
    assert 'title="step:lookup-company#0 attempt 1"' in text
    assert '<span class="badge kind-backoff">backoff</span>' in text
    assert run.uid.hex in text, "the OpenTelemetry trace id is shown"


def test_a_child_run_row_links_to_the_child_and_lazy_loads_its_timeline(
    alice: Client, org: Organization
) -> None:
    run = investigated_run(org)
    child = run.steps.get(kind="workflow").child_run
    text = alice.get(f"/history/{run.public_id}/?tab=trace").content.decode()
    assert f'href="/history/{child.public_id}/?tab=trace"' in text
    lazy = f'hx-get="/history/{child.public_id}/trace/rows/?nest=1&amp;indent=2"'
    assert lazy in text
    rows = alice.get(f"/history/{child.public_id}/trace/rows/?nest=1&indent=2").content.decode()
    assert re.findall(r'<span class="span-name">([^<]+)</span>', rows) == ["greeting", "greet"]
    assert "depth-2" in rows and "depth-3" in rows, "nested one level below the child row"


def test_another_organizations_child_timeline_is_not_found(alice: Client) -> None:
    other = Organization.objects.create(name="Other", slug="other")
    run = make_run(other)
    assert alice.get(f"/history/{run.public_id}/trace/rows/").status_code == 404


def test_agent_model_and_tool_calls_nest_under_their_step(org: Organization) -> None:
    run = make_run(org, "support-agent", status="success", started_at=at(0), finished_at=at(9))
    root = span(run, "workflow support-agent", 0, 9)
    agent = span(
        run,
        "step step:agent:support#0",
        1,
        8,
        root,
        **{"keystroke.step_id": "step:agent:support#0", "keystroke.step_kind": "agent"},
    )
    step_span(run, agent, "step:model:gpt#0", "model", 1, 2, 3)
    step_span(run, agent, "step:lookup-order#0", "action", 1, 3, 4)
    shown = [(p.row.kind, p.row.name, p.row.depth) for p in page(run).rows]
    assert shown == [
        ("pass", "support-agent", 0),
        ("agent", "agent:support", 1),
        ("model", "model:gpt", 2),
        ("tool", "lookup-order", 2),
    ]


def test_pages_follow_each_other_without_gaps_or_repeats(org: Organization) -> None:
    run = investigated_run(org)
    whole = [(p.row.kind, p.row.started_at) for p in page(run).rows]
    seen, after = [], ""
    while True:
        part = page(run, after, size=3)
        seen += [(p.row.kind, p.row.started_at) for p in part.rows]
        if not part.after:
            break
        after = part.after
    assert seen == whole


def test_a_bad_cursor_is_a_400_that_says_what_to_pass(alice: Client, org: Organization) -> None:
    run = investigated_run(org)
    response = alice.get(f"/history/{run.public_id}/trace/rows/?after=yesterday")
    assert response.status_code == 400
    for query in ("nest=-1", "nest=6", "indent=x", "indent=16"):
        assert alice.get(f"/history/{run.public_id}/trace/rows/?{query}").status_code == 400


def test_passes_are_numbered_across_pages(org: Organization) -> None:
    run = investigated_run(org)
    titles, after = [], ""
    while True:
        part = page(run, after, size=2)
        titles += [p.row.title for p in part.rows if p.row.kind == "pass"]
        if not (after := part.after):
            break
    assert titles == [f"pass {n}" for n in range(1, 6)]


@pytest.mark.parametrize(
    "path",
    [
        "trace/rows/?after={}",
        "trace/logs/?log_after={}",
        "?tab=trace&after={}",
        "?tab=trace&log_after={}",
    ],
)
@pytest.mark.parametrize(
    "stamp", ["0001-01-01T00:00:00%2B23:00", "9999-12-31T23:59:59-23:00", "2026-11-30T09:00:00"]
)
def test_a_cursor_out_of_range_or_without_offset_is_a_400(
    alice: Client, org: Organization, path: str, stamp: str
) -> None:
    run = investigated_run(org)
    response = alice.get(f"/history/{run.public_id}/" + path.format(f"{stamp}~1"))
    assert response.status_code == 400


def test_a_timed_out_hook_and_a_failed_child_run_show_as_errors(
    alice: Client, org: Organization
) -> None:
    run = investigated_run(org)
    hook = run.steps.get(kind="hook")
    hook.status, hook.finished_at = "failed", at(25)
    hook.error = {"type": "HookTimeout", "message": "Hook step:hook:approval#0 was not resumed."}
    hook.save()
    run.steps.filter(kind="workflow").update(
        status="failed", error={"type": "ChildWorkflowFailed", "message": "child run failed"}
    )
    waits = {p.row.kind: p.row for p in page(run).rows if p.row.is_wait}
    assert (waits["hook"].status, waits["child"].status) == ("error", "error")
    assert (waits["sleep"].status, waits["backoff"].status) == ("done", "done")
    text = alice.get(f"/history/{run.public_id}/?tab=trace").content.decode()
    hook_row = re.search(r'<li class="[^"]*span-hook[^"]*".*?</li>', text, re.S)
    assert hook_row is not None
    assert "timed out at" in hook_row.group() and "resumed" not in hook_row.group()
    assert "status-failed" in hook_row.group()
    child_row = re.search(r'<li class="[^"]*span-child[^"]*".*?</details>', text, re.S)
    assert child_row is not None and "status-failed" in child_row.group()
    document = alice.get(f"/history/{run.public_id}/trace/download/?format=md").content.decode()
    assert "**hook:approval** `hook` waits 4.50 s" in document
    assert "timed out" in document.split("**hook:approval** `hook`")[1].splitlines()[0]


def test_an_answered_hook_shows_when_it_was_resumed(alice: Client, org: Organization) -> None:
    run = investigated_run(org)
    text = alice.get(f"/history/{run.public_id}/?tab=trace").content.decode()
    hook_row = re.search(r'<li class="[^"]*span-hook[^"]*".*?</li>', text, re.S)
    assert hook_row is not None
    assert "resumed" in hook_row.group() and "timed out at" not in hook_row.group()
    assert "status-failed" not in hook_row.group()


def chain(org: Organization, length: int) -> list[Run]:
    """Runs r0 -> r1 -> ... each waiting on the next as its child run, the last one plain."""
    runs = [make_run(org, f"r{n}", status="success", started_at=at(0)) for n in range(length)]
    for n, run in enumerate(runs):
        span(run, f"workflow r{n}", 0, 10)
        if n + 1 < length:
            run.steps.create(
                position=0,
                step_id=f"step:child:r{n + 1}#0",
                kind="workflow",
                status="success",
                started_at=at(1),
                finished_at=at(9),
                child_run=runs[n + 1],
            )
    return runs


def test_every_level_of_a_chain_of_child_runs_expands(alice: Client, org: Organization) -> None:
    runs = chain(org, 4)
    page_of = alice.get(f"/history/{runs[0].public_id}/?tab=trace").content.decode()
    for child in runs[1:]:
        found = re.search(rf'hx-get="(/history/{child.public_id}/trace/rows/\?[^"]+)"', page_of)
        assert found is not None, f"{child.public_id} can be expanded"
        response = alice.get(found.group(1).replace("&amp;", "&"))
        assert response.status_code == 200
        page_of = response.content.decode()
    assert 'span-name">r3<' in page_of


def test_the_deepest_level_links_its_child_run_without_expanding_it(
    alice: Client, org: Organization
) -> None:
    runs = chain(org, 2)
    deepest = alice.get(f"/history/{runs[0].public_id}/trace/rows/?nest=5").content.decode()
    assert f'href="/history/{runs[1].public_id}/?tab=trace"' in deepest
    assert "trace/rows/" not in deepest
    too_deep = alice.get(f"/history/{runs[0].public_id}/trace/rows/?nest=6")
    assert too_deep.status_code == 400


def test_a_failed_attempts_row_carries_the_class_that_draws_it_red(
    alice: Client, org: Organization
) -> None:
    run = investigated_run(org)
    text = alice.get(f"/history/{run.public_id}/?tab=trace").content.decode()
    classes = re.findall(r'<li class="([^"]*)" data-kind="action"', text)
    assert len(classes) == 2
    assert "span-status-error" in classes[0].split(), "attempt 1 failed"
    assert "span-status-error" not in classes[1].split(), "attempt 2 succeeded"
    css = (settings.BASE_DIR / "static/history/css/base.css").read_text()
    assert ".span.span-status-error .span-bar rect" in css


@pytest.mark.parametrize("path", ["trace/rows/?after={}", "?tab=trace&log_after={}"])
@pytest.mark.parametrize("stamp", ["0001-01-01T00:00:00-23:59", "9999-12-31T00:00:00%2B23:59"])
def test_a_cursor_at_the_edge_of_the_range_is_not_a_500(
    alice: Client, org: Organization, path: str, stamp: str
) -> None:
    run = investigated_run(org)
    response = alice.get(f"/history/{run.public_id}/" + path.format(f"{stamp}~1"))
    assert response.status_code == 200, "a time in range pages from there"
