"""Paths that steps and agents give: relative to the workspace, and never out of it."""

from __future__ import annotations

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


def relative(root: Path, full: Path) -> str:
    return full.relative_to(root).as_posix()
