"""Paths that steps and agents give: relative to the workspace, and never out of it."""

from __future__ import annotations

import os
import threading
from pathlib import Path, PurePosixPath

from ..errors import WorkspaceError

EXAMPLE = "e.g. 'notes/plan.md'"


def inside(root: Path, path: object, *, allow_root: bool = False) -> Path:
    """``path`` under ``root``; WorkspaceError for an absolute path, ``..``, or a symlink on
    the way (which could lead anywhere)."""
    if not isinstance(path, str) or "\x00" in path or not path.strip():
        raise WorkspaceError(f"path {path!r}: give a path relative to the workspace, {EXAMPLE}.")
    pure = PurePosixPath(path)
    if pure.is_absolute() or "\\" in path:
        raise WorkspaceError(
            f"path {path!r} is absolute: give a path relative to the workspace, {EXAMPLE}."
        )
    if ".." in pure.parts:
        raise WorkspaceError(f"path {path!r} uses '..': paths cannot leave the workspace.")
    parts = [part for part in pure.parts if part != "."]
    if not parts and not allow_root:
        raise WorkspaceError(f"path {path!r} is the workspace itself: name a file, {EXAMPLE}.")
    current = root
    for part in parts:
        current = current / part
        if current.is_symlink():
            raise WorkspaceError(
                f"path {path!r} goes through the symlink {current.relative_to(root).as_posix()}: "
                "symlinks can lead out of the workspace, so files are not read or written "
                "through them."
            )
    return current


def leads_out(root: Path, link: Path) -> str | None:
    """The target of symlink ``link`` if it leads out of ``root``, else None.

    An absolute target always does: inside the sandbox /workspace/x, on the worker a path of
    the machine.
    """
    target = os.readlink(link)
    if os.path.isabs(target):
        return target
    resolved = os.path.normpath(os.path.join(os.path.dirname(link), target))
    inside_root = resolved == str(root) or resolved.startswith(f"{root}{os.sep}")
    return None if inside_root else target


def links_out(root: Path) -> list[tuple[str, str]]:
    """Every symlink under ``root`` that leads out of it, as (path, target)."""
    found = []
    for folder, dirs, names in os.walk(root):
        for name in [*dirs, *names]:
            full = Path(folder, name)
            if full.is_symlink() and (target := leads_out(root, full)) is not None:
                found.append((full.relative_to(root).as_posix(), target))
    return found


_locks: dict[Path, threading.Lock] = {}
_locks_lock = threading.Lock()


def lock_of(root: Path) -> threading.Lock:
    """Held by the tools and commands of one workspace: a command running in one branch of a
    run cannot swap a folder for a symlink between a tool's check of a path and its use."""
    with _locks_lock:
        return _locks.setdefault(root, threading.Lock())


def forget_lock(root: Path) -> None:
    with _locks_lock:
        _locks.pop(root, None)
