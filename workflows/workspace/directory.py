"""A run's workspace on the worker running a pass: restored from its last stored state, and
stored again after every round of steps.

The directory is private to the pass (a new temporary folder) and deleted when the pass ends;
what lasts is the manifest each step's record names. Only files whose size, modification time
or inode changed since the last snapshot are read again, and only content not stored yet for
the run is written.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import WorkspaceError
from .blobs import Blobs, Manifest

CHUNK = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_bytes: int
    max_files: int


@dataclass(frozen=True)
class _Seen:
    """What a file looked like when it was last hashed."""

    size: int
    mtime_ns: int
    inode: int
    sha256: str
    hashed_ns: int  # when: a file changed within a clock tick of it is hashed again

    def still(self, info: os.stat_result) -> bool:
        unchanged = (self.size, self.mtime_ns, self.inode) == (
            info.st_size,
            info.st_mtime_ns,
            info.st_ino,
        )
        return unchanged and self.hashed_ns - self.mtime_ns > RACY_NS


# File systems stamp modification times by clock tick, not by write: a file rewritten with the
# same size within a tick of being hashed would look unchanged (git's "racy" files).
RACY_NS = 2_000_000_000


PASSES = "keystroke-workspaces"  # under the system's temporary folder
_swept = False


def _passes_folder() -> Path:
    """Where passes keep their folders; the first use in a process deletes those left by
    processes of this machine that are gone (a worker killed mid-pass)."""
    global _swept
    folder = Path(tempfile.gettempdir(), PASSES)
    folder.mkdir(mode=0o700, exist_ok=True)
    if not _swept:
        _swept = True
        for left in folder.iterdir():
            pid = left.name.split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(left, ignore_errors=True)
    return folder


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


class Workspace:
    """The directory of one run's workspace during one pass."""

    def __init__(self, blobs: Blobs, limits: Limits) -> None:
        self.blobs, self.limits = blobs, limits
        self.path = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=_passes_folder()))
        self.digest = ""  # the manifest the directory was last restored from or stored as
        self._seen: dict[str, _Seen] = {}

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def restore(self, digest: str) -> None:
        """Make the directory hold what manifest ``digest`` names (an empty one for "")."""
        manifest = self.blobs.manifest(digest) if digest else {}
        for relative in sorted(manifest, key=lambda p: p.count("/")):
            entry, target = manifest[relative], self.path / relative
            if entry["type"] == "dir":
                target.mkdir(parents=True, exist_ok=True)
            elif entry["type"] == "link":
                target.parent.mkdir(parents=True, exist_ok=True)
                os.symlink(entry["target"], target)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._write(target, entry)
                # back-dated past the racy window, so the next snapshot need not read it again
                restored_ns = time.time_ns() - 2 * RACY_NS
                os.utime(target, ns=(restored_ns, restored_ns))
                info = target.stat()
                self._seen[relative] = _Seen(
                    info.st_size, info.st_mtime_ns, info.st_ino, entry["sha256"], time.time_ns()
                )
        self.digest = digest

    def _write(self, target: Path, entry: dict[str, object]) -> None:
        digest = hashlib.sha256()
        with self.blobs.open(str(entry["sha256"])) as source, open(target, "wb") as out:
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                out.write(chunk)
        if digest.hexdigest() != entry["sha256"]:
            raise WorkspaceError(
                f"Workspace file {target.relative_to(self.path)} came back from storage with "
                "other content than was stored: the storage is corrupt."
            )
        if entry.get("x"):
            target.chmod(0o755)

    def snapshot(self) -> str:
        """Store what the directory holds now; the digest of its manifest.

        Raises WorkspaceError, storing nothing, when the workspace is over its limits.
        """
        manifest, total, files = self._scan()
        if files > self.limits.max_files:
            raise WorkspaceError(
                f"The workspace holds {files} entries, over the limit of {self.limits.max_files}: "
                "delete what the next steps do not need, or raise KEYSTROKE_WORKSPACE_MAX_FILES."
            )
        if total > self.limits.max_bytes:
            largest = sorted((e["size"], p) for p, e in manifest.items() if e["type"] == "file")[
                -3:
            ]
            named = ", ".join(f"{p} ({size:,} bytes)" for size, p in reversed(largest))
            raise WorkspaceError(
                f"The workspace holds {total:,} bytes, over the limit of "
                f"{self.limits.max_bytes:,} (largest: {named}): delete what the next steps do "
                "not need, or raise KEYSTROKE_WORKSPACE_MAX_BYTES."
            )
        for relative, entry in manifest.items():
            if entry["type"] == "file" and not self.blobs.has(entry["sha256"], entry["size"]):
                with open(self.path / relative, "rb") as content:
                    self.blobs.put(entry["sha256"], content)
        self.digest = self.blobs.put_manifest(manifest)
        return self.digest

    def _scan(self) -> tuple[Manifest, int, int]:
        manifest: Manifest = {}
        seen: dict[str, _Seen] = {}
        total = 0
        for folder, dirs, names in os.walk(self.path):
            base = Path(folder)
            for name in [*dirs, *names]:
                full = base / name
                relative = full.relative_to(self.path).as_posix()
                info = full.lstat()
                if stat.S_ISLNK(info.st_mode):
                    manifest[relative] = {"type": "link", "target": os.readlink(full)}
                elif stat.S_ISDIR(info.st_mode):
                    manifest[relative] = {"type": "dir"}
                elif stat.S_ISREG(info.st_mode):
                    sha = self._sha(relative, full, info)
                    seen[relative] = _Seen(
                        info.st_size, info.st_mtime_ns, info.st_ino, sha, time.time_ns()
                    )
                    executable = bool(info.st_mode & stat.S_IXUSR)
                    manifest[relative] = {
                        "type": "file",
                        "sha256": sha,
                        "size": info.st_size,
                        "x": executable,
                    }
                    total += info.st_size
                # sockets, pipes and devices are not kept
        self._seen = seen
        return manifest, total, len(manifest)

    def _sha(self, relative: str, full: Path, info: os.stat_result) -> str:
        known = self._seen.get(relative)
        if known and known.still(info):
            return known.sha256
        digest = hashlib.sha256()
        with open(full, "rb") as handle:
            while chunk := handle.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()
