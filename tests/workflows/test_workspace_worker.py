"""A run's workspace across real workers: a file written by a step on a worker that is then killed
is read intact by the next step on another worker, from the workspace storage: the folder under
KEYSTROKE_HOME, or an S3 bucket (a local S3 server)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import boto3
import pytest
from django.db import transaction
from moto.server import ThreadedMotoServer

from history.models import Organization, Run
from history.workspace_files import StorageBlobs
from workflows import store

from ..conftest import Stack
from ..factories import api_origin
from ..services import free_port
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

REPORT = SimpleNamespace(
    kind=Run.Kind.WORKFLOW, slug="workspace-report", timeout=None, workspace=True
)


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
    assert read.workspace_seq == written.workspace_seq + 1  # the next state, though unchanged
    blobs = StorageBlobs(run.uid.hex)
    manifest = blobs.manifest(written.workspace)
    assert manifest["out/report.bin"]["size"] == len(data) and manifest["out"] == {"type": "dir"}
    assert blobs.has(hashlib.sha256(data).hexdigest(), len(data))


@pytest.fixture
def s3() -> Iterator[str]:
    """A local S3 server (moto's) with an empty bucket; its address."""
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    boto3.client("s3", endpoint_url=url, **S3_KEYS).create_bucket(Bucket="keystroke-test")
    yield url
    server.stop()


S3_KEYS = {"aws_access_key_id": "test", "aws_secret_access_key": "test", "region_name": "us-east-1"}


def test_workers_keep_the_workspace_in_an_s3_bucket_when_one_is_named(
    stack: Stack, org: Organization, tmp_path: Path, s3: str
) -> None:
    project = tmp_path / "project" / "workflows"
    project.mkdir(parents=True)
    (project / "report.py").write_text(PROJECT)
    env = {
        "KEYSTROKE_PROJECT_DIR": str(project.parent),
        "KEYSTROKE_WORKSPACE_S3_BUCKET": "keystroke-test",
        "KEYSTROKE_WORKSPACE_S3_ENDPOINT_URL": s3,
        "KEYSTROKE_WORKSPACE_S3_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
    }
    with transaction.atomic():
        run = store.create_run_txn(REPORT, {"seed": "s3"}, api_origin(org))
    first = stack.worker(**env)
    stack.beat(**env)
    _becomes(run, "sleeping")
    first.kill()
    stack.worker(**env)
    done = _becomes(run, "success")
    data = hashlib.sha256(b"s3").digest() * 40_000
    assert done.output["sha256"] == hashlib.sha256(data).hexdigest()

    client = boto3.client("s3", endpoint_url=s3, **S3_KEYS)
    listed = client.list_objects_v2(Bucket="keystroke-test")["Contents"]
    names = {item["Key"]: item["Size"] for item in listed}
    blob = f"workspaces/{run.uid.hex}/blobs/{hashlib.sha256(data).hexdigest()[:2]}/"
    assert [size for key, size in names.items() if key.startswith(blob)] == [len(data)]
    assert all(key.startswith(f"workspaces/{run.uid.hex}/") for key in names)
    # Nothing of it under KEYSTROKE_HOME.
    assert not StorageBlobs(run.uid.hex).storage.exists(run.uid.hex)
