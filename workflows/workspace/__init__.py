"""Run workspaces: a folder per run that its steps and agents share, stored after every step
(``blobs``, ``directory``), paths that cannot leave it (``paths``), commands sandboxed in it
(``sandbox``) and the agent tools over it (``tools``)."""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from pathlib import Path

from ..conf import engine_settings
from ..errors import WorkspaceError
from .directory import Limits, Workspace
from .paths import links_out, lock_of
from .sandbox import CommandResult, SandboxLimits, run_sandboxed

__all__ = ["CommandResult", "Limits", "Workspace", "configured_limits", "run_command"]


def configured_limits() -> Limits:
    conf = engine_settings()
    return Limits(int(conf["WORKSPACE_MAX_BYTES"]), int(conf["WORKSPACE_MAX_FILES"]))


def run_command(
    workspace: Path, command: str | Sequence[str], timeout: float | None = None
) -> CommandResult:
    """``command`` in the sandbox over ``workspace``, with the configured limits."""
    conf = engine_settings()
    most = float(conf["COMMAND_TIMEOUT"])
    if timeout is not None and not 0 < timeout <= most:
        raise ValueError(
            f"run_command(timeout={timeout!r}): give a number of seconds above 0 and at most "
            f"{most:g} (KEYSTROKE_COMMAND_TIMEOUT)."
        )
    limits = SandboxLimits(
        timeout=timeout or most,
        memory_bytes=int(conf["COMMAND_MEMORY"]),
        file_bytes=int(conf["WORKSPACE_MAX_BYTES"]),
    )
    with lock_of(workspace):
        result = run_sandboxed(workspace, command, limits, str(conf["BWRAP"]))
        # Followed on the worker, by a tool or the step's own code, such a link would read or
        # write the machine's files outside the sandbox.
        escaping = links_out(workspace)
        for path, _ in escaping:
            (workspace / path).unlink()
    if escaping:
        named = ", ".join(f"{path} -> {target}" for path, target in escaping[:5])
        raise WorkspaceError(
            f"{shlex.join(result.command)} left symlinks that lead out of the workspace ({named}); "
            "they were removed. Link within the workspace, with relative targets."
        )
    return result
