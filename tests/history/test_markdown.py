"""A run as Markdown (history.markdown): what it says, what it cuts, and text that cannot break
it."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from history.markdown import PAYLOAD_CHARS, STEP_ROWS, TRACEBACK_LINES, fenced, run_markdown, text
from history.models import Organization, Run, Step, UsageItem

from ..factories import make_run

pytestmark = pytest.mark.django_db

STARTED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def finished_run(org: Organization, **fields: object) -> Run:
    defaults = {
        "slug": "signup-pipeline",
        "status": "success",
        "actor": "alice",
        "trigger_label": "webhook signup",
        "created_at": STARTED,
        "started_at": STARTED + timedelta(seconds=1),
        "finished_at": STARTED + timedelta(seconds=3),
        "duration_ms": 2000,
        "total_cost": Decimal("0.0042"),
    }
    return make_run(org, **{**defaults, **fields})  # type: ignore[arg-type]


def section(markdown: str, title: str) -> str:
    """The text of one ``## title`` section."""
    match = re.search(rf"^## {re.escape(title)}.*?(?=^## |\Z)", markdown, re.S | re.M)
    assert match, f"no section {title!r} in:\n{markdown}"
    return match.group(0)


def test_it_states_the_runs_identity_with_an_absolute_link(org: Organization) -> None:
    run = finished_run(org, input={"email": "ada@acme.io"}, output={"welcomed": True})
    markdown = run_markdown(run, lambda path: f"https://ks.example{path}")
    assert markdown.startswith(f"# signup-pipeline · {run.public_id}\n")
    page = f"https://ks.example/history/{run.public_id}/"
    for row in (
        f"| Run | {run.public_id} ([open in History]({page})) |",
        "| Workflow | signup-pipeline |",
        "| Project | default |",
        "| Status | Success |",
        "| Trigger | webhook signup |",
        "| Actor | alice |",
        "| Attempt | 1 |",
        "| Created | 2026-12-01T09:00:00Z |",
        "| Started | 2026-12-01T09:00:01Z |",
        "| Finished | 2026-12-01T09:00:03Z |",
        "| Duration | 2.00 s |",
        "| Cost | $0.0042 |",
    ):
        assert row in markdown
    assert '```json\n{\n  "email": "ada@acme.io"\n}\n```' in section(markdown, "Input")
    assert '"welcomed": true' in section(markdown, "Output")
    assert "## Error" not in markdown


def test_it_cuts_a_large_payload_and_says_how_much_and_where_the_whole_is(
    org: Organization,
) -> None:
    run = finished_run(org, input={"blob": "x" * 50_000}, output={"small": 1})
    markdown = run_markdown(run, lambda path: f"https://ks.example{path}")
    block = section(markdown, "Input")
    assert len(block) < PAYLOAD_CHARS + 500
    whole = len('{\n  "blob": "' + "x" * 50_000 + '"\n}')
    assert (
        f"_Cut: the first {PAYLOAD_CHARS:,} of {whole:,} characters are shown "
        f"({whole - PAYLOAD_CHARS:,} cut). The whole input: "
        f"<https://ks.example/history/{run.public_id}/payload/input/?format=json>_"
    ) in block
    assert "Cut:" not in section(markdown, "Output")


def test_a_cut_never_ends_inside_a_run_of_hex_digits(org: Organization) -> None:
    # A cut through a hook token would leave most of it, and no longer of a token's shape.
    hexes = "ab12" * 2000
    run = finished_run(org, input={"pad": "y" * (PAYLOAD_CHARS - 40), "hex": hexes})
    shown = section(run_markdown(run), "Input").split("```json\n")[1].split("\n```")[0]
    assert len(shown) < PAYLOAD_CHARS
    assert shown.endswith('"hex": "')


def test_backticks_and_pipes_in_user_text_do_not_break_the_document(org: Organization) -> None:
    run = finished_run(
        org,
        slug="a|b",
        actor="eve | `x`",
        output={"md": "```\n# not a heading\n````"},
        status="failed",
        error={"type": "Value|Error", "message": "bad `a|b` <script>", "step_id": "step:x|y#0"},
    )
    markdown = run_markdown(run)
    assert markdown.startswith(r"# a\|b · ")
    assert r"| Actor | eve \| \`x\` |" in markdown
    assert r"**Value\|Error**: bad \`a\|b\` \<script\>" in markdown
    assert r"Failing step: step:x\|y#0" in markdown
    output = section(markdown, "Output")
    # The payload's longest backtick run is four: the fence is five, so the block holds it all.
    assert output.startswith("## Output\n\n`````json\n")
    assert output.rstrip().endswith("`````")
    assert "# not a heading" in output
    for line in markdown.splitlines():
        if line.startswith("| "):
            assert len(re.findall(r"(?<!\\)\|", line)) == 3, line  # two cells, no stray pipe


def test_fences_are_longer_than_any_backtick_run() -> None:
    assert fenced("plain") == "```\nplain\n```"
    assert fenced("a ``````` b", "json").startswith("````````json\n")
    assert text("a\n\nb|c *d* [e](f)") == r"a b\|c \*d\* \[e\](f)"


def test_a_failed_run_shows_its_error_failing_step_and_the_end_of_its_traceback(
    org: Organization,
) -> None:
    traceback = "\n".join(f"  line {n}" for n in range(100)) + "\nValueError: no such plan"
    run = finished_run(
        org,
        status="failed",
        error={
            "type": "RetriesExhausted",
            "message": "step:charge#0 failed 3 times: no such plan",
            "traceback": traceback,
            "step_id": "step:charge#0",
        },
    )
    Step.objects.create(
        run=run,
        position=0,
        step_id="step:charge#0",
        kind="action",
        status="failed",
        error={"type": "ValueError", "message": "no such plan | pro"},
        attempts=[{"error": "a"}, {"error": "b"}, {"error": "c"}],
        started_at=STARTED,
        finished_at=STARTED + timedelta(milliseconds=340),
    )
    markdown = run_markdown(run)
    error = section(markdown, "Error")
    assert "**RetriesExhausted**: step:charge#0 failed 3 times: no such plan" in error
    assert "Failing step: step:charge#0" in error
    assert f"Traceback (its last {TRACEBACK_LINES} of 101 lines):" in error
    assert "ValueError: no such plan\n```" in error and "  line 59\n" not in error
    assert f"<history/{run.public_id}/payload/error/?format=json>" not in error  # paths, no host
    assert f"</history/{run.public_id}/payload/error/?format=json>" in error
    assert "## Output" not in markdown
    assert r"| 0 | step:charge#0 | action | failed | 3 | 340 ms | no such plan \| pro |" in section(
        markdown, "Steps (1)"
    )


def test_it_lists_the_first_steps_and_says_how_many_more(org: Organization) -> None:
    run = finished_run(org)
    Step.objects.bulk_create(
        Step(run=run, position=n, step_id=f"step:s#{n}", kind="action", status="success")
        for n in range(STEP_ROWS + 7)
    )
    steps = section(run_markdown(run), f"Steps ({STEP_ROWS + 7})")
    rows = [line for line in steps.splitlines() if line.startswith("| ") and "step:s#" in line]
    assert len(rows) == STEP_ROWS
    assert rows[-1].startswith(
        f"| {STEP_ROWS - 1} | step:s#{STEP_ROWS - 1} | action | success | 1 "
    )
    assert f"_7 more steps are not listed: </history/{run.public_id}/?tab=steps>_" in steps


def test_it_lists_usage_lines_and_the_total(org: Organization) -> None:
    run = finished_run(org)
    UsageItem.objects.create(
        run=run,
        kind="model",
        provider="openai",
        model="gpt-4o-mini",
        tokens_in=1200,
        tokens_out=300,
        cost=Decimal("0.0004"),
    )
    UsageItem.objects.create(
        run=run, kind="duration", quantity=Decimal("2000"), unit="ms", cost=Decimal("0.0038")
    )
    usage = section(run_markdown(run), "Usage")
    assert "| Model call | openai:gpt-4o-mini | 1200 | 300 |  | $0.0004 |" in usage
    assert "| Duration | — | 0 | 0 | 2000 ms | $0.0038 |" in usage
    assert usage.rstrip().endswith("Total cost: $0.0042")


def test_a_run_not_yet_started_says_so(org: Organization) -> None:
    markdown = run_markdown(make_run(org, input={}))
    assert "| Status | Queued |" in markdown and "| Started | — |" in markdown
    assert "No steps recorded." in markdown and "No usage recorded." in markdown
    assert "## Output" not in markdown and "## Error" not in markdown
