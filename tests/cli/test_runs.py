"""Running and inspecting workflows through the CLI, with a real Celery worker behind the server."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from history.models import Step

from ..conftest import Stack
from ..support import wait_for
from .conftest import Cli, run_of

pytestmark = pytest.mark.django_db(transaction=True)

RUN_ID = r"run_[0-9a-f]{32}"


def lines(marker: Path) -> list[str]:
    return marker.read_text().splitlines() if marker.exists() else []


def script(marker: Path, **extra: str) -> str:
    return json.dumps({"marker": str(marker), **extra})


def started_id(stderr: str) -> str:
    """The run id from the first progress line, ``run_… queued: <url>``."""
    match = re.match(rf"({RUN_ID}) \w+: http", stderr)
    assert match, stderr
    return match.group(1)


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A directory of a short path: the summary cuts a failed run's error at 160 characters, and
    the error names a path in it (pytest-xdist's tmp_path is a level deeper than pytest's).
    """
    with tempfile.TemporaryDirectory(prefix="ks-") as name:
        yield Path(name)


def status_becomes(run_id: str, status: str) -> None:
    wait_for(lambda: run_of(run_id).status == status, 30, what=f"{run_id} to become {status}")


def test_it_runs_a_workflow_and_shows_its_record(cli: Cli, stack: Stack, tmp_path: Path) -> None:
    stack.worker()
    marker = tmp_path / "effects"

    ran = cli.ok("workflows", "run", "three-steps", "--input", script(marker))
    assert ran.json() == {"labels": ["one", "two", "three"]}, "stdout is the output alone"
    first = started_id(ran.stderr)
    assert all(f"step:effect#{i}" in ran.stderr for i in range(3)), "progress goes to stderr"
    run = run_of(first)
    assert (run.status, run.trigger_type, run.trigger_label) == ("success", "cli", "CLI")
    assert lines(marker) == ["one", "two", "three"]

    summarised = cli.ok("workflows", "run", "three-steps", "--input", script(marker), "--summary")
    second = started_id(summarised.stderr)
    assert re.fullmatch(
        rf"{second} three-steps success in \d+\.\d s \(3 steps, \$0\.0000\) trigger CLI\n",
        summarised.stdout,
    )

    started = cli.ok(
        "workflows", "run", "three-steps", "--input", script(marker), "--no-wait"
    ).json()
    third = started["run_id"]
    assert started["status"] == "queued" and started["url"].endswith(f"/history/{third}/")
    status_becomes(third, "success")

    assert_runs_list(cli, [third, second, first])
    assert_runs_get(cli, third)
    assert_history(cli, [third, second, first])


def assert_runs_list(cli: Cli, newest_first: list[str]) -> None:
    listed = cli.ok(
        "workflows", "runs", "list", "three-steps", "--status", "success", "--limit", "2"
    ).json()
    assert [r["id"] for r in listed] == newest_first[:2]
    assert cli.ok("workflows", "runs", "list", "three-steps", "--status", "failed").json() == []
    table = cli.ok(
        "workflows", "runs", "list", "three-steps", "--output", "table"
    ).stdout.splitlines()
    assert table[0].split()[:3] == ["ID", "SLUG", "STATUS"] and len(table) == 1 + len(newest_first)


def assert_runs_get(cli: Cli, run_id: str) -> None:
    get = ("workflows", "runs", "get", "three-steps", run_id)
    assert cli.ok(*get, "--include", "steps", "--field", "output").json() == {
        "labels": ["one", "two", "three"]
    }
    assert cli.ok(*get, "--field", "output.labels.2").stdout == "three\n", (
        "a string field prints plain"
    )

    envelope = cli.ok(*get, "--include", "steps").json()
    assert [s["id"] for s in envelope["steps"]] == [f"step:effect#{i}" for i in range(3)]
    assert envelope["trigger"] == {"type": "cli", "label": "CLI"}

    as_yaml = yaml.safe_load(cli.ok(*get, "--output", "yaml").stdout)
    assert (as_yaml["id"], as_yaml["status"], as_yaml["step_count"]) == (run_id, "success", 3)

    table = cli.ok(*get, "--include", "steps", "--output", "table").stdout
    assert re.search(r"^status +success$", table, re.M)
    assert re.search(r"^step:effect#2 +action +success +1 ", table, re.M), table

    summary = cli.ok(*get, "--summary").stdout
    assert summary.startswith(f"{run_id} three-steps success in ") and summary.count("\n") == 1

    wrong = cli.fails("workflows", "runs", "get", "approval", run_id)
    assert (
        f"run {run_id} is a run of workflow 'three-steps', not of workflow 'approval'"
        in wrong.stderr
    )
    unknown = "run_" + "0" * 32
    assert (
        cli.fails("history", "get", unknown).stderr
        == f"error: No run {unknown} in your organization.\n"
    )


def assert_history(cli: Cli, newest_first: list[str]) -> None:
    listed = cli.ok(
        "history", "list", "--kind", "workflow", "--status", "success", "--limit", "5"
    ).json()
    assert [r["id"] for r in listed] == newest_first
    assert len(cli.ok("history", "list", "--limit", "1").json()) == 1
    assert cli.ok("history", "list", "--kind", "agent").json() == []

    run = cli.ok("history", "get", newest_first[0], "--include", "trigger").json()
    assert run["trigger"]["type"] == "cli" and run["trigger"]["raw"]["user_agent"].startswith(
        "python-httpx/"
    )
    summary = cli.ok("history", "get", newest_first[0], "--summary").stdout
    assert re.fullmatch(
        rf"{newest_first[0]} three-steps success in \S+ s \(3 steps, \$0\.0000\) trigger CLI\n",
        summary,
    )
    bad = cli.fails("history", "get", newest_first[0], "--include", "everything")
    assert "include=everything is not known" in bad.stderr


def test_a_failed_run_exits_1_and_a_retry_finishes_it(
    cli: Cli, stack: Stack, tmp_path: Path, short_dir: Path
) -> None:
    stack.worker()
    marker, flag = tmp_path / "effects", short_dir / "flag"

    failed = cli("workflows", "run", "three-steps", "--input", script(marker, flag=str(flag)))
    assert failed.code == 1 and failed.stdout == ""
    run_id = started_id(failed.stderr)
    assert (
        f"error: run {run_id} failed: " in failed.stderr
        and f"{flag} does not exist yet" in failed.stderr
    )
    assert run_of(run_id).status == "failed" and lines(marker) == ["one", "two:failed"]

    assert [
        r["id"]
        for r in cli.ok("workflows", "runs", "list", "three-steps", "--status", "failed").json()
    ] == [run_id]
    summary = cli.ok("history", "get", run_id, "--summary").stdout
    assert (
        summary.startswith(f"{run_id} three-steps failed in ") and "does not exist yet" in summary
    )

    flag.touch()
    retried = cli.ok("workflows", "runs", "retry", run_id).json()
    assert (retried["id"], retried["status"], retried["attempt"]) == (run_id, "queued", 2)
    status_becomes(run_id, "success")
    assert run_of(run_id).output == {"labels": ["one", "two", "three"]}
    assert lines(marker) == ["one", "two:failed", "two", "three"], (
        "the step that succeeded is not run again"
    )

    again = cli.fails("workflows", "runs", "cancel", run_id)
    expected = (
        f"error: Run {run_id} is success; only queued, running, sleeping or waiting runs "
        "can be canceled."
    )
    assert again.stderr.strip() == expected
    assert cli.fails("workflows", "runs", "retry", run_id).stderr.startswith(
        f"error: Run {run_id} is success"
    )

    other = cli(
        "workflows",
        "run",
        "three-steps",
        "--input",
        script(marker, flag=str(tmp_path / "no")),
        "--summary",
    )
    assert other.code == 1 and "does not exist yet" in other.stderr
    assert re.fullmatch(
        rf"{RUN_ID} three-steps failed in \S+ s \(2 steps, \$0\.0000\) trigger CLI: .+\n",
        other.stdout,
    )


def test_runs_waiting_on_a_hook_are_canceled_or_resumed(
    cli: Cli, stack: Stack, tmp_path: Path
) -> None:
    stack.worker()
    marker = tmp_path / "effects"

    doomed = cli.ok("workflows", "run", "approval", "--input", script(marker), "--no-wait").json()[
        "run_id"
    ]
    status_becomes(doomed, "waiting")
    canceled = cli.ok("workflows", "runs", "cancel", doomed).json()
    assert (canceled["id"], canceled["status"]) == (doomed, "canceled")
    assert run_of(doomed).status == "canceled"

    waiting = cli("workflows", "run", "approval", "--input", script(marker), "--timeout", "0")
    assert waiting.code == 1 and waiting.stdout == ""
    run_id = started_id(waiting.stderr)
    assert f"error: run {run_id} is still " in waiting.stderr and "after 0s" in waiting.stderr
    status_becomes(run_id, "waiting")
    token = Step.objects.get(run=run_of(run_id), kind="hook").token

    invalid = cli.fails("hooks", "resume", token, "--payload", '{"note": "no decision"}')
    assert invalid.stderr.startswith("error: Invalid hook payload: approved")
    resumed = cli.ok(
        "hooks", "resume", token, "--payload", '{"approved": true, "note": "ship it"}'
    ).json()
    assert resumed["ok"] is True and resumed["run_id"] == run_id
    status_becomes(run_id, "success")
    assert run_of(run_id).output == {
        "approved": True,
        "note": "ship it",
        "labels": ["before", "after"],
    }

    twice = cli.fails(
        "hooks", "resume", f"http://elsewhere/hooks/{token}", "--payload", '{"approved": false}'
    )
    assert "was already resumed" in twice.stderr
    assert "No hook has this token" in cli.fails("hooks", "resume", "not-a-token").stderr


def test_it_prompts_an_agent_and_prints_its_structured_output(cli: Cli, stack: Stack) -> None:
    stack.worker()
    answered = cli.ok(
        "agents", "prompt", "lead-researcher", "--message", "Research ada@example.com"
    )
    reply = answered.json()
    assert set(reply["output"]) == {"company", "score", "reason"}, (
        "the offline model answers with a LeadScore"
    )
    run = run_of(started_id(answered.stderr))
    assert (run.kind, run.trigger_type, run.models_used) == ("agent", "cli", ["test"])
    assert run.message_count == len(run.conversation) > 4
    assert "lead-researcher" in cli.ok("agents", "list", "--output", "table").stdout
    assert cli.fails("agents", "prompt", "greeting", "-m", "hi").code == 1, (
        "a workflow is not an agent"
    )
