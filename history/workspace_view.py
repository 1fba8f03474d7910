"""What History's Workspace tab shows of a run: the steps after which its files changed, and the
files as one of those steps left them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from .models import Run
from .workspace_files import Manifest, StorageBlobs

# The states listed to pick from, latest first; a run of thousands of steps lists its latest.
MOST_STATES = 500
# A file larger than this, or not UTF-8 text, is offered as a download only.
MOST_TEXT_BYTES = 512 * 1024
LANGUAGES = {
    ".py": "python",
    ".sh": "bash",
    ".js": "javascript",
    ".ts": "typescript",
    ".json": "json",
    ".yaml": "yaml",
    ".yml": "yaml",
    ".toml": "ini",
    ".ini": "ini",
    ".md": "markdown",
    ".html": "xml",
    ".xml": "xml",
    ".css": "css",
    ".sql": "sql",
    ".csv": "plaintext",
    ".txt": "plaintext",
}


@dataclass(frozen=True)
class State:
    """A step after which the workspace held something new."""

    position: int
    step_id: str
    digest: str


@dataclass(frozen=True)
class FileRow:
    path: str
    type: str
    size: int
    depth: int


@dataclass(frozen=True)
class TextView:
    path: str
    text: str | None  # None: binary or too large, download it
    size: int
    language: str


def states(run: Run) -> list[State]:
    """The steps whose workspace differs from the state before, latest first (by the state's
    number, as the engine restores them)."""
    rows = (
        run.steps.exclude(workspace="")
        .order_by("-workspace_seq", "-position")
        .values_list("position", "step_id", "workspace")[: MOST_STATES * 4]
    )
    found: list[State] = []
    for position, step_id, digest in reversed(list(rows)):
        if not found or found[-1].digest != digest:
            found.append(State(position, step_id, digest))
    return found[::-1][:MOST_STATES]


def state_at(run: Run, position: Any) -> State:
    """The state step ``position`` left; LookupError when it stored none."""
    try:
        wanted = int(position)
    except (TypeError, ValueError):
        raise ValueError("at must be a step position, a whole number.") from None
    step = run.steps.filter(position=wanted).exclude(workspace="").only("step_id", "workspace")
    found = step.first()
    if found is None:
        raise LookupError(f"Run {run.public_id} has no workspace stored at step position {wanted}.")
    return State(wanted, found.step_id, found.workspace)


def manifest_of(run: Run, state: State) -> Manifest:
    return StorageBlobs(run.uid.hex).manifest(state.digest)


def files(manifest: Manifest) -> list[FileRow]:
    return [
        FileRow(path, entry["type"], entry.get("size", 0), path.count("/"))
        for path, entry in sorted(manifest.items())
    ]


def entry(manifest: Manifest, state: State, path: str) -> dict[str, Any]:
    found = manifest.get(path)
    if found is None or found["type"] != "file":
        raise LookupError(f"The workspace at {state.step_id} has no file {path!r}.")
    return found


def text_view(run: Run, state: State, manifest: Manifest, path: str) -> TextView:
    found = entry(manifest, state, path)
    language = LANGUAGES.get(PurePosixPath(path).suffix.lower(), "plaintext")
    if found["size"] > MOST_TEXT_BYTES:
        return TextView(path, None, found["size"], language)
    with StorageBlobs(run.uid.hex).open(found["sha256"]) as content:
        data = content.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return TextView(path, None, found["size"], language)
    return TextView(path, None if "\x00" in text else text, found["size"], language)


def open_file(run: Run, state: State, path: str) -> Any:
    return StorageBlobs(run.uid.hex).open(entry(manifest_of(run, state), state, path)["sha256"])
