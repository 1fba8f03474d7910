"""Commands that need the server but no worker: listing, refusing bad input, completion, colour."""

from __future__ import annotations

import os
import pty
import subprocess

import pytest

from history.models import Run

from .conftest import KEYSTROKE, Cli

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_lists_workflows_as_json_and_as_a_table(cli: Cli) -> None:
    listed = cli.ok("workflows", "list").json()
    slugs = {w["slug"] for w in listed}
    assert {"three-steps", "approval", "greeting"} <= slugs
    three = next(w for w in listed if w["slug"] == "three-steps")
    assert three["input_schema"]["properties"]["marker"]["type"] == "string"

    table = cli.ok("workflows", "list", "--output", "table").stdout.splitlines()
    assert table[0].split() == ["SLUG", "KIND", "NAME", "PAUSED", "PAUSED_BY", "DESCRIPTION"]
    assert any(line.split()[:2] == ["three-steps", "workflow"] for line in table[1:])
    assert "\x1b[" not in "\n".join(table), "no colour codes when stdout is a pipe"


def test_it_colours_tables_only_on_a_terminal(cli: Cli) -> None:
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [KEYSTROKE, "workflows", "list", "--output", "table"],
            env=cli.env,
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
        os.close(follower)
        follower = -1
        shown = _read_all(leader)
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert done.returncode == 0, done.stderr
    assert "\x1b[1mSLUG" in shown, "the header is bold on a terminal"


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # Linux answers EIO once the other end is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode()


def test_it_refuses_bad_input_and_unknown_workflows_without_starting_a_run(cli: Cli) -> None:
    not_json = cli.fails("workflows", "run", "three-steps", "--input", "{marker: x}")
    assert not_json.stderr.startswith("error: --input is not valid JSON:")

    not_object = cli.fails("workflows", "run", "three-steps", "--input", "[1, 2]")
    assert "--input must be a JSON object" in not_object.stderr

    invalid = cli.fails("workflows", "run", "three-steps", "--input", '{"marker": 5}')
    assert invalid.stderr.startswith("error: Invalid input for three-steps: marker")

    unknown = cli.fails("workflows", "run", "no-such-flow", "--input", "{}")
    assert "No workflow 'no-such-flow' is registered" in unknown.stderr

    usage = cli(
        "workflows", "run", "three-steps", "--input", '{"marker": "m"}', "--no-wait", "--summary"
    )
    assert usage.code == 1 and "--summary describes a finished run" in usage.stderr
    assert not Run.objects.exists()


def test_it_prints_shell_completion_scripts(cli: Cli) -> None:
    bash = cli.ok("completion", "bash").stdout
    assert (
        "_KEYSTROKE_COMPLETE=bash_complete" in bash
        and "complete -o nosort -F _keystroke_completion" in bash
    )
    zsh = cli.ok("completion", "zsh").stdout
    assert zsh.startswith("#compdef keystroke") and "_KEYSTROKE_COMPLETE=zsh_complete" in zsh
    assert 'eval "$(keystroke completion bash)"' in cli.ok("completion", "--help").stdout
    assert cli("completion", "tcsh").code == 1


def test_completion_offers_commands_and_the_servers_workflow_slugs(cli: Cli) -> None:
    def complete(words: str) -> list[str]:
        cword = str(len(words.split()) - (0 if words.endswith(" ") else 1))
        done = cli.ok(COMP_WORDS=words, COMP_CWORD=cword, _KEYSTROKE_COMPLETE="bash_complete")
        return done.stdout.splitlines()

    assert complete("keystroke work") == ["plain,workflows"]
    assert complete("keystroke api-keys create --role a") == ["plain,admin"]
    assert complete("keystroke workflows run thr") == ["plain,three-steps"]
    assert complete("keystroke workflows run ") and "plain,approval" in complete(
        "keystroke workflows run "
    )
