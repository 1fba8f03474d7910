"""A run's workspace across real workers: a file written by a step on a worker that is then killed
is read intact by the next step on another worker, from the workspace storage."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import transaction

from history.models import Organization, Run
from history.workspace_files import StorageBlobs
from workflows import store

from ..conftest import Stack
from ..factories import api_origin
from ..support import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

PROJECT = """
import hashlib

from pydantic import BaseModel

from workflows.sdk import Context, StepContext, define_action, define_workflow


class Report(BaseModel):
    seed: str


class Digest(BaseModel):
    sha256: str
    size: int


def _write(report: Report, ctx: StepContext) -> Digest:
    data = hashlib.sha256(report.seed.encode()).digest() * 40_000  # 1.28 MB
    (ctx.workspace / "out").mkdir()
    (ctx.workspace / "out" / "report.bin").write_bytes(data)
    return Digest(sha256=hashlib.sha256(data).hexdigest(), size=len(data))


def _read(report: Report, ctx: StepContext) -> Digest:
    data = (ctx.workspace / "out" / "report.bin").read_bytes()
    return Digest(sha256=hashlib.sha256(data).hexdigest(), size=len(data))


write = define_action(slug="write-report", input=Report, output=Digest, run=_write)
read = define_action(slug="read-report", input=Report, output=Digest, run=_read)


async def _report(report: Report, ctx: Context) -> Digest:
    await write.run(report)
    await ctx.sleep("4s")
    return await read.run(report)


define_workflow(slug="workspace-report", input=Report, output=Digest, run=_report, workspace=True)
"""

REPORT = SimpleNamespace(kind=Run.Kind.WORKFLOW, slug="workspace-report", timeout=None)


def _becomes(run: Run, status: str, timeout: float = 60) -> Run:
    def check() -> Run | None:
        run.refresh_from_db()
        return run if run.status == status else None

    return wait_for(check, timeout, what=f"{run.public_id} to become {status} (is {run.status})")


def test_a_file_survives_the_worker_that_wrote_it_being_killed(
    stack: Stack, org: Organization, tmp_path: Path
) -> None:
    project = tmp_path / "project" / "workflows"
    project.mkdir(parents=True)
    (project / "report.py").write_text(PROJECT)
    env = {"KEYSTROKE_PROJECT_DIR": str(project.parent)}
    seed = os.urandom(8).hex()
    with transaction.atomic():
        run = store.create_run_txn(REPORT, {"seed": seed}, api_origin(org))

    first = stack.worker(**env)
    stack.beat(**env)
    _becomes(run, "sleeping")
    written = run.steps.get(step_id="step:write-report#0")
    first.kill()  # SIGKILL: its folder of the workspace is never cleaned up or read again

    stack.worker(**env)
    done = _becomes(run, "success")
    data = hashlib.sha256(seed.encode()).digest() * 40_000
    assert done.output == {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
    assert written.output == done.output

    # Stored once, under the run's own folder of the workspace storage; both steps name it.
    read = run.steps.get(step_id="step:read-report#0")
    assert read.workspace == written.workspace != ""
    blobs = StorageBlobs(run.uid.hex)
    manifest = blobs.manifest(written.workspace)
    assert manifest["out/report.bin"]["size"] == len(data) and manifest["out"] == {"type": "dir"}
    assert blobs.has(hashlib.sha256(data).hexdigest(), len(data))
