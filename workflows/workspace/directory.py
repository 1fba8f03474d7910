"""A run's workspace on the worker running a pass: restored from its last stored state, and
stored again after every round of steps.

The directory is private to the pass (a new temporary folder) and deleted when the pass ends;
what lasts is the manifest each step's record names. Only files whose size, modification time
or inode changed since the last snapshot are read again, and only content not stored yet for
the run is written.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import WorkspaceError
from .blobs import Blobs, Manifest
from .paths import forget_lock, leads_out

logger = logging.getLogger("keystroke.workspace")

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
    ctime_ns: int  # set again by any write, even one that puts the old mtime back (cp -p)
    inode: int
    sha256: str
    hashed_ns: int  # when: a file changed within a clock tick of it is hashed again

    @classmethod
    def of(cls, info: os.stat_result, sha256: str, hashed_ns: int) -> _Seen:
        return cls(info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, sha256, hashed_ns)

    def still(self, info: os.stat_result) -> bool:
        unchanged = (self.size, self.mtime_ns, self.ctime_ns, self.inode) == (
            info.st_size,
            info.st_mtime_ns,
            info.st_ctime_ns,
            info.st_ino,
        )
        return unchanged and self.hashed_ns - max(self.mtime_ns, self.ctime_ns) > RACY_NS


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
        self._stored: set[str] = set()  # contents known to be in storage: not asked for again

    def close(self) -> None:
        # A command may have left a folder it cannot be read or deleted from.
        def writable_then_again(function: Any, path: str, _: Any) -> None:
            os.chmod(os.path.dirname(path), 0o700)
            if os.path.isdir(path) and not os.path.islink(path):
                os.chmod(path, 0o700)
            function(path)

        try:
            shutil.rmtree(self.path, onerror=writable_then_again)
        except OSError:
            logger.warning("the workspace folder %s could not be deleted", self.path)
        forget_lock(self.path)

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
                # just written and checked: trusted as if hashed well after its ctime (now)
                self._seen[relative] = _Seen.of(info, entry["sha256"], time.time_ns() + RACY_NS + 1)
                self._stored.add(entry["sha256"])
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
            sha = entry.get("sha256")
            if sha is None or sha in self._stored:
                continue
            if not self.blobs.has(sha, entry["size"]):
                with _readable(self.path / relative) as content:
                    self.blobs.put(sha, content)
            self._stored.add(sha)
        self.digest = self.blobs.put_manifest(manifest, self._stored)
        return self.digest

    def _scan(self) -> tuple[Manifest, int, int]:
        manifest: Manifest = {}
        seen: dict[str, _Seen] = {}
        total = 0
        for folder, dirs, names in os.walk(self.path, onerror=_unreadable):
            base = Path(folder)
            for name in [*dirs, *names]:
                full = base / name
                relative = full.relative_to(self.path).as_posix()
                info = full.lstat()
                if stat.S_ISLNK(info.st_mode):
                    if (target := leads_out(self.path, full)) is not None:
                        raise WorkspaceError(
                            f"The workspace's symlink {relative} leads out of it (to {target}): "
                            "only symlinks within the workspace, with relative targets, are kept."
                        )
                    manifest[relative] = {"type": "link", "target": os.readlink(full)}
                elif stat.S_ISDIR(info.st_mode):
                    manifest[relative] = {"type": "dir"}
                elif stat.S_ISREG(info.st_mode):
                    known = self._seen.get(relative)
                    if known and known.still(info):
                        seen[relative] = known
                    else:
                        seen[relative] = _Seen.of(info, _hash(full), time.time_ns())
                    sha = seen[relative].sha256
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


def _hash(full: Path) -> str:
    digest = hashlib.sha256()
    with _readable(full) as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _readable(full: Path) -> Any:
    try:
        return open(full, "rb")
    except OSError as exc:
        raise WorkspaceError(
            f"The workspace's file {full.name} cannot be read ({exc.strerror}), so it cannot be "
            "stored: make it readable (chmod u+r) or delete it."
        ) from None


def _unreadable(error: OSError) -> None:
    raise WorkspaceError(
        f"A folder of the workspace cannot be read ({error.strerror}: {error.filename}), so it "
        "cannot be stored: make it readable (chmod u+rx) or delete it."
    )
