"""Commands in a workspace, inside bubblewrap: the workspace writable at /workspace, the system
read-only, no network, a PID namespace of their own, and time and memory limits.

There is no fallback: where bubblewrap is missing or cannot make its namespaces, the command is
refused with ``SandboxUnavailable`` and nothing runs.
"""

from __future__ import annotations

import os
import shlex
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from ..errors import CommandTimeout, SandboxUnavailable

MOUNT = "/workspace"
# Kept of each stream in the step's output; the rest is cut, and the output says so.
OUTPUT_LIMIT = 64 * 1024
# What of the system a command sees, read-only: programs, libraries and configuration. Nothing
# else is there: no home folders (credentials), no Keystroke home or project, no other run's
# workspace, no /run or /tmp of the machine (a Unix socket there reaches a database without any
# network).
SYSTEM = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", "/opt")
BLANKED = ("/etc/shadow", "/etc/gshadow")
TMP_BYTES = 64 * 1024 * 1024  # the sandbox's own /tmp, in memory
INSTALL = "install Debian's bubblewrap package (apt-get install bubblewrap)"


class CommandResult(BaseModel):
    """What a command did: its exit code and what it printed (each stream up to 64 KiB); the
    output of a run_command step too."""

    command: list[str]
    exit_code: int
    stdout: str
    stderr: str
    duration_ms: int
    truncated: bool = False


@dataclass(frozen=True)
class SandboxLimits:
    timeout: float
    memory_bytes: int
    file_bytes: int


def as_argv(command: str | Sequence[str]) -> list[str]:
    """A shell line runs under ``sh -c``; a list runs as it is."""
    if isinstance(command, str):
        if not command.strip():
            raise ValueError("run_command(command): give a command, e.g. 'python3 report.py'.")
        return ["/bin/sh", "-c", command]
    argv = list(command)
    if not argv or not all(isinstance(arg, str) for arg in argv):
        raise ValueError(
            f"run_command(command={command!r}): give a shell line or a list of strings, e.g. "
            "['python3', 'report.py']."
        )
    return argv


def run_sandboxed(
    workspace: Path, command: str | Sequence[str], limits: SandboxLimits, bwrap: str = "bwrap"
) -> CommandResult:
    """Run ``command`` in ``workspace`` inside bubblewrap; raises CommandTimeout past the limit."""
    argv = as_argv(command)
    binary = shutil.which(bwrap)
    if binary is None:
        raise SandboxUnavailable(
            f"run_command needs bubblewrap ({bwrap!r} is not on PATH): {INSTALL}. Commands never "
            "run outside the sandbox."
        )
    prefix = [
        *_limits(limits),
        binary,
        *_mounts(workspace),
        "--unshare-all",
        "--unshare-user",
        "--uid",
        "1000",
        "--gid",
        "1000",
        "--disable-userns",
        "--cap-drop",
        "ALL",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--setenv",
        "PATH",
        "/usr/local/bin:/usr/bin:/bin",
        "--setenv",
        "HOME",
        MOUNT,
        "--setenv",
        "LANG",
        "C.UTF-8",
        "--setenv",
        "TMPDIR",
        "/tmp",
        "--chdir",
        MOUNT,
        "--",
    ]
    _check_sandbox(tuple(prefix), str(workspace))
    with tempfile.TemporaryDirectory(prefix="keystroke-command-") as captured:
        out_path, err_path = Path(captured, "stdout"), Path(captured, "stderr")
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            started = time.monotonic()
            process = subprocess.Popen(
                [*prefix, *argv],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            try:
                code = process.wait(timeout=limits.timeout)
            except subprocess.TimeoutExpired:
                _kill(process)
                stdout, _ = _read(out_path)
                raise CommandTimeout(
                    f"{shlex.join(argv)} ran past its time limit of {limits.timeout:g} s and was "
                    f"killed; its output so far: {stdout[-2000:]!r}"
                ) from None
            finally:
                if process.poll() is None:
                    _kill(process)
        duration = int((time.monotonic() - started) * 1000)
        stdout, cut_out = _read(out_path)
        stderr, cut_err = _read(err_path)
    if code == 1 and stderr.startswith("bwrap: "):
        raise SandboxUnavailable(f"bubblewrap could not start the command: {stderr.strip()}")
    return CommandResult(
        command=argv,
        exit_code=code,
        stdout=stdout,
        stderr=stderr,
        duration_ms=duration,
        truncated=cut_out or cut_err,
    )


def _limits(limits: SandboxLimits) -> list[str]:
    # prlimit sets them on bubblewrap, which passes them down: the command cannot raise them.
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        raise SandboxUnavailable("run_command needs prlimit (Debian's util-linux) for its limits.")
    return [
        prlimit,
        f"--as={limits.memory_bytes}",
        f"--fsize={limits.file_bytes}",
        "--nofile=1024",
        "--core=0",
        "--",
    ]


def _mounts(workspace: Path) -> list[str]:
    """The system's programs and libraries read-only, the workspace read-write at /workspace.

    The sandbox's root is an empty folder; only the folders of ``SYSTEM`` are bound into it
    (as the symlinks they are, on a merged-/usr system).
    """
    args: list[str] = []
    for folder in SYSTEM:
        if os.path.islink(folder):
            args += ["--symlink", os.readlink(folder), folder]
        elif os.path.isdir(folder):
            args += ["--ro-bind", folder, folder]
    for secret in BLANKED:
        if os.path.exists(secret):
            args += ["--ro-bind", "/dev/null", secret]
    args += ["--dev", "/dev", "--proc", "/proc", "--size", str(TMP_BYTES), "--tmpfs", "/tmp"]
    return [*args, "--bind", str(workspace), MOUNT]


_working: set[tuple[str, ...]] = set()


def _check_sandbox(prefix: tuple[str, ...], workspace: str) -> None:
    """Make sure bubblewrap can build this sandbox here (once per process and setup)."""
    key = tuple(arg for arg in prefix if arg != workspace)
    if key in _working:
        return
    try:
        done = subprocess.run(
            [*prefix, "/bin/true"], capture_output=True, timeout=30, stdin=subprocess.DEVNULL
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise SandboxUnavailable(f"bubblewrap could not be started: {exc}") from None
    if done.returncode != 0:
        said = done.stderr.decode(errors="replace").strip() or f"exit code {done.returncode}"
        raise SandboxUnavailable(
            f"bubblewrap cannot make its sandbox on this machine ({said}): commands are refused "
            "rather than run unsandboxed. It needs user namespaces (sysctl "
            "kernel.unprivileged_userns_clone=1) or root."
        )
    _working.add(key)


def _kill(process: subprocess.Popen[bytes]) -> None:
    # bubblewrap's child dies with it (--die-with-parent), and with it the PID namespace.
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def _read(path: Path) -> tuple[str, bool]:
    with open(path, "rb") as handle:
        data = handle.read(OUTPUT_LIMIT + 1)
    return data[:OUTPUT_LIMIT].decode(errors="replace"), len(data) > OUTPUT_LIMIT
