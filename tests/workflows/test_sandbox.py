"""Commands in bubblewrap: the workspace writable, nothing else; no network; their own PID
namespace; killed at their time limit; refused, never run bare, where bubblewrap cannot run."""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from pydantic import BaseModel

from workflows.errors import CommandTimeout, SandboxUnavailable, WorkspaceError
from workflows.sdk import (
    Completed,
    Context,
    Failed,
    MemoryEventLog,
    StepContext,
    define_action,
    define_workflow,
    execute_workflow,
    read_file,
    run_command,
    write_file,
)
from workflows.workspace import run_command as run_in

from ..support import ROOT

pytestmark = pytest.mark.django_db


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "workspace"
    folder.mkdir()
    return folder


@pytest.fixture
def listener() -> Iterator[int]:
    """A loopback port that accepts connections outside the sandbox."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


def _limits(settings: object, **values: object) -> None:
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, **values}  # type: ignore[attr-defined]


def test_output_and_exit_code_are_captured(workspace: Path) -> None:
    (workspace / "hello.py").write_text("import sys\nprint('out')\nprint('err', file=sys.stderr)\n")
    result = run_in(workspace, "python3 hello.py; exit 3")
    assert (result.exit_code, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert result.command == ["/bin/sh", "-c", "python3 hello.py; exit 3"]


def test_a_command_cannot_reach_a_loopback_port(workspace: Path, listener: int) -> None:
    connect = f"import socket; socket.create_connection(('127.0.0.1', {listener}), timeout=5)"
    socket.create_connection(("127.0.0.1", listener), timeout=5).close()  # it does listen
    result = run_in(workspace, ["python3", "-c", connect])
    assert result.exit_code != 0
    assert "Connection refused" in result.stderr or "unreachable" in result.stderr


def test_a_command_writes_its_workspace_and_nothing_else(workspace: Path, tmp_path: Path) -> None:
    home = Path(django_settings.KEYSTROKE_HOME)
    secret = home / "sandbox-secret.txt"  # as the database file and the broker's files would be
    secret.write_text("x")
    outside = tmp_path / "outside.txt"
    result = run_in(
        workspace,
        "echo kept > made.txt; "
        f"for target in /usr/bin/planted /etc/planted {outside} {home}/planted /tmp/planted; do "
        '  (echo x > "$target") 2>/dev/null && echo "wrote $target"; '
        "done; "
        f"ls {home} | wc -l",
    )
    assert result.exit_code == 0, result
    assert (workspace / "made.txt").read_text() == "kept\n"
    assert "wrote /usr" not in result.stdout and "wrote /etc" not in result.stdout
    assert not outside.exists() and not Path("/usr/bin/planted").exists()
    assert not (home / "planted").exists()
    assert not Path("/tmp/planted").exists()  # the sandbox's /tmp is its own
    assert result.stdout.strip().splitlines()[-1] == "0"  # Keystroke's home is hidden
    secret.unlink()


def test_a_command_sees_only_its_own_processes(workspace: Path) -> None:
    result = run_in(workspace, "ls /proc | grep -c '^[0-9]'; cat /proc/1/cmdline | tr '\\0' ' '")
    count, init = result.stdout.splitlines()
    assert int(count) <= 5, result.stdout
    assert "systemd" not in init and "celery" not in init


def test_a_command_over_its_time_limit_is_killed(workspace: Path) -> None:
    marker = f"{os.getpid()}.{time.monotonic_ns() % 1000}"
    started = time.monotonic()
    with pytest.raises(CommandTimeout, match="time limit of 1 s"):
        run_in(workspace, f"echo started; sleep 600 # {marker}", timeout=1)
    assert time.monotonic() - started < 15
    time.sleep(0.2)
    still = [p for p in os.listdir("/proc") if p.isdigit() and _cmdline(p).count(marker)]
    assert still == [], "the sandboxed command outlived its time limit"


def _cmdline(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def test_a_command_over_its_memory_limit_fails(settings: object, workspace: Path) -> None:
    _limits(settings, COMMAND_MEMORY=200 * 1024 * 1024)
    result = run_in(workspace, ["python3", "-c", "b = bytearray(400 * 1024 * 1024)"])
    assert result.exit_code != 0 and "MemoryError" in result.stderr


def test_the_timeout_asked_for_is_capped_by_the_setting(workspace: Path) -> None:
    with pytest.raises(ValueError, match="KEYSTROKE_COMMAND_TIMEOUT"):
        run_in(workspace, "true", timeout=10_000)


def test_without_bubblewrap_the_command_is_refused_not_run_bare(
    settings: object, workspace: Path, tmp_path: Path
) -> None:
    _limits(settings, BWRAP=str(tmp_path / "no-such-bwrap"))
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        run_in(workspace, "touch ran")
    assert not (workspace / "ran").exists()

    # A bubblewrap that cannot make its namespaces (as in a locked-down container).
    broken = tmp_path / "bwrap"
    broken.write_text(
        "#!/bin/sh\necho 'bwrap: No permissions to create new namespace' >&2\nexit 1\n"
    )
    broken.chmod(0o755)
    _limits(settings, BWRAP=str(broken))
    with pytest.raises(SandboxUnavailable, match="No permissions to create new namespace"):
        run_in(workspace, "touch ran")
    assert not (workspace / "ran").exists()


class Script(BaseModel):
    source: str


class Ran(BaseModel):
    exit_code: int
    stdout: str
    files: list[str]


def _run_script(script: Script, ctx: StepContext) -> Ran:
    assert ctx.workspace is not None
    (ctx.workspace / "job.py").write_text(script.source)
    result = ctx.run_command(["python3", "job.py"])
    return Ran(
        exit_code=result.exit_code,
        stdout=result.stdout,
        files=sorted(p.name for p in ctx.workspace.iterdir()),
    )


run_script = define_action(slug="sandbox-run-script", input=Script, output=Ran, run=_run_script)


async def _script_then_command(script: Script, ctx: Context) -> Ran:
    first = await run_script.run(script)
    again = await run_command.run({"command": "cat result.txt"})
    return Ran(exit_code=again.exit_code, stdout=first.stdout + again.stdout, files=first.files)


scripted = define_workflow(
    slug="sandbox-scripted", input=Script, output=Ran, run=_script_then_command, workspace=True
)


def test_an_action_and_the_run_command_step_share_the_workspace() -> None:
    source = "open('result.txt', 'w').write('42')\nprint('done')\n"
    log = MemoryEventLog()
    outcome = execute_workflow(scripted, {"source": source}, log)
    assert outcome == Completed(
        {"exit_code": 0, "stdout": "done\n42", "files": ["job.py", "result.txt"]}
    )
    command = log.records[1]
    assert command.step_id == "step:run-command#0"
    assert command.output["command"] == ["/bin/sh", "-c", "cat result.txt"]


def test_a_command_step_over_its_time_limit_fails_with_a_timeout_error(settings: object) -> None:
    _limits(settings, COMMAND_TIMEOUT=1.0)
    outcome = execute_workflow(scripted, {"source": "import time\ntime.sleep(60)\n"})
    assert isinstance(outcome, Failed)
    cause = outcome.error["attempts"][-1]
    assert cause["type"] == "CommandTimeout" and "was killed" in cause["message"]


def test_symlinks_a_command_leaves_out_of_the_workspace_are_removed_and_it_fails(
    workspace: Path,
) -> None:
    with pytest.raises(WorkspaceError, match=r"out -> /etc/passwd.*removed"):
        run_in(
            workspace,
            "ln -s /etc/passwd out; ln -s ../.. up; mkdir d; ln -s ../kept d/in; echo x > kept",
        )
    assert sorted(p.name for p in workspace.iterdir()) == ["d", "kept"]
    assert (workspace / "d" / "in").is_symlink()  # within the workspace: kept


def test_a_pipe_a_command_leaves_does_not_block_the_tools(workspace: Path) -> None:
    run_in(workspace, "mkfifo pipe")
    ctx = StepContext(
        "run", "step:read-file#0", 1, "key", logging.getLogger("test"), workspace=workspace
    )
    with pytest.raises(WorkspaceError, match="not a regular file"):
        read_file.execute({"path": "pipe"}, ctx)
    with pytest.raises(WorkspaceError, match="not a regular file|cannot be opened"):
        write_file.execute({"path": "pipe", "content": "x"}, ctx)


def test_a_command_sees_none_of_the_machines_other_folders(workspace: Path) -> None:
    passes = Path(tempfile.gettempdir(), "keystroke-workspaces")
    probes = [
        str(ROOT / "manage.py"),
        str(django_settings.KEYSTROKE_HOME),
        str(passes),
        "/home",
        "/root",
        "/var/run/postgresql",
        "/srv",
    ]
    result = run_in(
        workspace, "for p in " + " ".join(probes) + '; do [ -e "$p" ] && echo "sees $p"; done; true'
    )
    assert result.stdout == "", result.stdout
