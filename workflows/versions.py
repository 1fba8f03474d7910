"""Which version of the project this process runs: ``KEYSTROKE_VERSION``, or a hash of its code.

Every run records the version it was started on, so a run that meets changed code (a
NonDeterminismError) can say which two versions disagree, and History can filter by version.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .conf import engine_settings, project_dirs

# A release name, tag or commit: what a deploy sets, shown and filtered on as it is.
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+:/-]{0,63}\Z")
HASH_LENGTH = 12


def current() -> str:
    """The configured version, or the first 12 hex digits of the project code's hash."""
    configured = configured_version()
    return configured or code_hash(tuple(project_dirs()))


def configured_version() -> str:
    value = engine_settings()["VERSION"]
    if value and not _VERSION.match(value):
        raise ImproperlyConfigured(
            f"KEYSTROKE_VERSION={value!r} is not a version: use 1 to 64 letters, digits and "
            "._+:/- starting with a letter or digit, e.g. a release tag or a commit hash."
        )
    return value


@functools.cache
def code_hash(directories: tuple[Path, ...]) -> str:
    """A hash of every Python file under the project folders, by relative path and content.

    Read once per process: a deploy restarts its processes, and a process keeps the code it
    imported at start anyway.
    """
    digest = hashlib.sha256()
    for index, directory in enumerate(directories):
        for path in _sources(directory):
            digest.update(f"{index}\0{path.relative_to(directory).as_posix()}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:HASH_LENGTH]


def _sources(directory: Path) -> list[Path]:
    found = []
    for root, folders, files in os.walk(directory):
        # Caches, virtualenvs and version control are not the project's code.
        folders[:] = [f for f in folders if not f.startswith(".") and f != "__pycache__"]
        found += [Path(root, name) for name in files if name.endswith(".py")]
    return sorted(found)
