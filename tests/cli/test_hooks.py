"""``keystroke hooks``: list the hooks waiting for people and answer one by run and name, against
a live server."""

from __future__ import annotations

from history.models import Organization, Step

from ..factories import waiting_run
from .conftest import Cli


def test_hooks_list_and_resume_by_run_and_name(cli: Cli) -> None:
    run = waiting_run(Organization.objects.default(), "a" * 40)
    [row] = cli.ok("hooks", "list").json()
    assert (row["run_id"], row["hook"]) == (run.public_id, "approval")
    table = cli.ok("hooks", "list", "-o", "table").stdout.splitlines()
    assert table[0].split() == ["RUN_ID", "WORKFLOW", "HOOK", "SINCE", "TIMES_OUT_AT"]

    invalid = cli.fails("hooks", "resume", "--run", run.public_id, "--name", "approval")
    assert invalid.stderr.startswith("error: Invalid hook payload")
    resumed = cli.ok(
        "hooks",
        "resume",
        "--run",
        run.public_id,
        "--name",
        "approval",
        "--payload",
        '{"approved": true}',
    ).json()
    assert resumed == {"ok": True, "run_id": run.public_id, "step_id": "step:approval#0"}
    assert Step.objects.get(run=run).status == "success"
    assert cli.ok("hooks", "list").json() == []


def test_hooks_resume_needs_a_token_or_a_run_and_a_name(cli: Cli) -> None:
    for args in (
        ("--run", "run_x"),
        ("--name", "approval"),
        ("tok", "--run", "r", "--name", "n"),
        (),
    ):
        failed = cli.fails("hooks", "resume", *args)
        assert failed.stderr == "error: give a hook's TOKEN, or --run and --name together.\n"
