"""Where run workspaces are kept: content-addressed files and manifests, a folder per run.

A file's content is stored once per run under its sha256, whatever number of steps leave it
unchanged. A manifest (which path holds which content) is stored as git stores trees: one
content-addressed tree per folder, naming its subfolders' trees, so a step that changes one
file stores that file and the trees on its path, and a step that changes nothing stores
nothing. Everything of a run lies under its id, which retention deletes with the run. The
engine writes here after every step; History reads a step's files.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from collections.abc import Iterator
from typing import IO, Any, Protocol

from django.core.files.base import File
from django.core.files.storage import Storage, storages

# A manifest, as its readers see it, maps a relative POSIX path to its entry: {"type": "file",
# "sha256", "size", "x"} (x: executable), {"type": "dir"} or {"type": "link", "target"}. Stored,
# each folder is a tree of its own entries by name, a folder's entry naming its tree.
Manifest = dict[str, dict[str, Any]]
STORAGE_ALIAS = "workspaces"


class WorkspaceFileMissing(LookupError):
    """Stored content a manifest names is missing or damaged."""


class Contents(Protocol):
    """Content-addressed storage of one run: what trees are written to and read from."""

    def has(self, sha256: str, size: int) -> bool: ...

    def put(self, sha256: str, content: IO[bytes]) -> None: ...

    def open(self, sha256: str) -> IO[bytes]: ...


def store_manifest(contents: Contents, manifest: Manifest, known: set[str] | None = None) -> str:
    """Store ``manifest`` as one tree per folder; the digest of the root tree.

    ``known`` holds digests already stored (not asked for again), and gains the new ones.
    """
    known = known if known is not None else set()
    folders: dict[str, dict[str, dict[str, Any]]] = {"": {}}
    for path, entry in manifest.items():
        if entry["type"] == "dir":
            folders.setdefault(path, {})
    for path, entry in manifest.items():
        parent, _, name = path.rpartition("/")
        folders.setdefault(parent, {})[name] = dict(entry)
    digest = ""
    for folder in sorted(folders, key=lambda f: (f.count("/"), f), reverse=True):
        data = json.dumps(folders[folder], sort_keys=True, separators=(",", ":")).encode()
        digest = hashlib.sha256(data).hexdigest()
        if digest not in known and not contents.has(digest, len(data)):
            contents.put(digest, io.BytesIO(data))
        known.add(digest)
        if folder:
            parent, _, name = folder.rpartition("/")
            folders[parent][name] = {"type": "dir", "tree": digest}
    return digest  # the root's, which sorts last


def load_manifest(contents: Contents, digest: str, prefix: str = "") -> Manifest:
    """The manifest whose root tree is ``digest``, every folder read."""
    with contents.open(digest) as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != digest:
        raise WorkspaceFileMissing(f"Workspace manifest {digest[:12]} of this run is corrupt.")
    manifest: Manifest = {}
    for name, entry in json.loads(data).items():
        path = f"{prefix}{name}"
        if entry["type"] == "dir":
            manifest[path] = {"type": "dir"}
            manifest.update(load_manifest(contents, entry["tree"], f"{path}/"))
        else:
            manifest[path] = entry
    return manifest


class StorageBlobs:
    """A run's workspace in the ``workspaces`` storage (``KEYSTROKE_HOME/workspaces`` unless the
    deployment configures another backend, such as S3)."""

    def __init__(self, run_uid_hex: str, storage: Storage | None = None) -> None:
        self.storage = storage if storage is not None else storages[STORAGE_ALIAS]
        self.prefix = run_uid_hex

    def _blob(self, sha256: str) -> str:
        return f"{self.prefix}/blobs/{sha256[:2]}/{sha256}"

    def has(self, sha256: str, size: int) -> bool:
        # A write cut short (the worker killed) leaves a shorter file under the right name.
        name = self._blob(sha256)
        return self.storage.exists(name) and self.storage.size(name) == size

    def put(self, sha256: str, content: IO[bytes]) -> None:
        name = self._blob(sha256)
        if self.storage.exists(name):
            self.storage.delete(name)  # a truncated copy (has() said so)
        saved = self.storage.save(name, File(content, name=sha256))
        if saved != name:  # another writer got there first: its copy has the same content
            self.storage.delete(saved)

    def open(self, sha256: str) -> IO[bytes]:
        try:
            return self.storage.open(self._blob(sha256), "rb")
        except FileNotFoundError:
            raise WorkspaceFileMissing(
                f"Workspace file content {sha256[:12]} of this run is missing from the "
                "workspace storage: it was deleted outside Keystroke."
            ) from None

    def put_manifest(self, manifest: Manifest, known: set[str] | None = None) -> str:
        return store_manifest(self, manifest, known)

    def manifest(self, digest: str) -> Manifest:
        return load_manifest(self, digest)

    def delete_all(self) -> None:
        """Delete everything stored for the run."""
        try:
            folder = self.storage.path(self.prefix)
        except NotImplementedError:  # object stores: no folders to leave behind
            for name in list(self._names(self.prefix)):
                self.storage.delete(name)
        else:
            shutil.rmtree(folder, ignore_errors=True)

    def copy_from(self, source: StorageBlobs, digests: set[str]) -> None:
        """Store here what ``source`` holds for these manifests (a retry that copies steps)."""
        for digest in digests:
            manifest = source.manifest(digest)
            for entry in manifest.values():
                sha = entry.get("sha256")
                if sha and not self.has(sha, entry["size"]):
                    with source.open(sha) as content:
                        self.put(sha, content)
            self.put_manifest(manifest)

    def _names(self, folder: str) -> Iterator[str]:
        try:
            folders, files = self.storage.listdir(folder)
        except FileNotFoundError:
            return
        for name in files:
            yield f"{folder}/{name}"
        for sub in folders:
            yield from self._names(f"{folder}/{sub}")
