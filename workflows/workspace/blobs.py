"""What a run's workspace is stored in: the workspace storage (``history.workspace_files``) on a
server, memory in ``execute_workflow``."""

from __future__ import annotations

import io
from typing import IO, Protocol

from history.workspace_files import (
    Manifest,
    WorkspaceFileMissing,
    load_manifest,
    store_manifest,
)

__all__ = ["Blobs", "Manifest", "MemoryBlobs", "WorkspaceFileMissing"]


class Blobs(Protocol):
    """One run's stored workspace contents."""

    def has(self, sha256: str, size: int) -> bool: ...

    def put(self, sha256: str, content: IO[bytes]) -> None: ...

    def open(self, sha256: str) -> IO[bytes]: ...

    def put_manifest(self, manifest: Manifest, known: set[str] | None = None) -> str:
        """Store ``manifest`` (what is not stored yet) and return its digest."""
        ...

    def manifest(self, digest: str) -> Manifest: ...


class MemoryBlobs:
    """A workspace kept in memory, for ``MemoryEventLog`` and ``execute_workflow``."""

    def __init__(self) -> None:
        self.contents: dict[str, bytes] = {}
        self.puts = 0  # contents stored, manifests included: what content addressing saves

    def has(self, sha256: str, size: int) -> bool:
        return sha256 in self.contents and len(self.contents[sha256]) == size

    def put(self, sha256: str, content: IO[bytes]) -> None:
        self.puts += 1
        self.contents[sha256] = content.read()

    def open(self, sha256: str) -> IO[bytes]:
        if sha256 not in self.contents:
            raise WorkspaceFileMissing(f"Workspace file content {sha256[:12]} is not in this log.")
        return io.BytesIO(self.contents[sha256])

    def put_manifest(self, manifest: Manifest, known: set[str] | None = None) -> str:
        return store_manifest(self, manifest, known)

    def manifest(self, digest: str) -> Manifest:
        return load_manifest(self, digest)
