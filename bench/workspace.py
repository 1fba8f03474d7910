"""Workspace benchmark: what a step of a workflow with a 50 MB workspace costs in snapshot time
and in storage, over many steps, and what restoring it on a new worker costs.

Run by hand from the repository root; it is not a test:

    DEBUG=1 .venv/bin/python bench/workspace.py [--files 500] [--megabytes 50] [--steps 5000]

It uses the filesystem storage in a throwaway folder (what KEYSTROKE_HOME/workspaces is), and
the same Workspace class a worker's pass does. Each step rewrites one small file (a counter),
as a step that appends to a log would; every tenth also rewrites one of the large files.
docs/benchmarks.md records the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "keystroke_site.settings")
os.environ.setdefault("DATABASE_URL", "sqlite:///:memory:")

import django  # noqa: E402

django.setup()

from django.core.files.storage import FileSystemStorage  # noqa: E402

from history.workspace_files import StorageBlobs  # noqa: E402
from workflows.workspace import Limits, Workspace  # noqa: E402


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=500)
    parser.add_argument("--megabytes", type=int, default=50)
    parser.add_argument("--steps", type=int, default=5000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="keystroke-bench-workspace-"))
    try:
        storage = FileSystemStorage(location=str(root / "storage"))
        blobs = StorageBlobs("benchrun", storage)
        limits = Limits(max_bytes=10 * 1024**3, max_files=1_000_000)
        workspace = Workspace(blobs, limits)
        size = args.megabytes * 1024 * 1024 // args.files
        for i in range(args.files):
            (workspace.path / f"data/{i:04}.bin").parent.mkdir(exist_ok=True)
            (workspace.path / f"data/{i:04}.bin").write_bytes(os.urandom(size))
        started = time.perf_counter()
        workspace.snapshot()
        first_ms = (time.perf_counter() - started) * 1000

        times = []
        for step in range(args.steps):
            (workspace.path / "counter.txt").write_text(str(step))
            if step % 10 == 0:
                (workspace.path / f"data/{step % args.files:04}.bin").write_bytes(os.urandom(size))
            started = time.perf_counter()
            workspace.snapshot()
            times.append((time.perf_counter() - started) * 1000)
        last = workspace.digest
        workspace.close()

        fresh = Workspace(blobs, limits)
        started = time.perf_counter()
        fresh.restore(last)
        restore_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        fresh.snapshot()
        after_restore_ms = (time.perf_counter() - started) * 1000
        fresh.close()

        stored = folder_bytes(root / "storage")
        workspace_bytes = args.megabytes * 1024 * 1024
        times.sort()
        print(f"workspace: {args.files} files, {workspace_bytes / 1e6:.1f} MB; {args.steps} steps")
        print(f"first snapshot (hash and store everything): {first_ms:.0f} ms")
        print(
            "snapshot per step: median "
            f"{statistics.median(times):.1f} ms, p95 {times[int(len(times) * 0.95)]:.1f} ms, "
            f"max {times[-1]:.1f} ms"
        )
        print(
            f"stored: {stored / 1e6:.1f} MB for {args.steps} states "
            f"({stored / workspace_bytes:.2f}x the workspace; a copy per step would be "
            f"{args.steps}x)"
        )
        print(
            f"restore on a new worker: {restore_ms:.0f} ms; "
            f"its first snapshot {after_restore_ms:.1f} ms"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
