"""History's Workspace tab: a run's files after any step that changed them, viewed as escaped,
highlighted text or downloaded, inside the run's organization only; and run_command steps."""

from __future__ import annotations

import hashlib
import io
from datetime import timedelta
from typing import Any

import pytest

from history.models import Organization, Run, Step
from history.models.accounts import Role
from history.workspace_files import StorageBlobs

from ..factories import STEPS_START, make_run, member

pytestmark = pytest.mark.django_db


def _store(run: Run, files: dict[str, bytes]) -> str:
    blobs = StorageBlobs(run.uid.hex)
    manifest: dict[str, Any] = {}
    for path, data in files.items():
        if "/" in path:
            manifest[path.rsplit("/", 1)[0]] = {"type": "dir"}
        sha = hashlib.sha256(data).hexdigest()
        blobs.put(sha, io.BytesIO(data))
        manifest[path] = {"type": "file", "sha256": sha, "size": len(data), "x": False}
    return blobs.put_manifest(manifest)


def _step(run: Run, position: int, step_id: str, digest: str = "", **fields: Any) -> Step:
    return Step.objects.create(
        run=run,
        position=position,
        step_id=step_id,
        kind=fields.pop("kind", "action"),
        status="success",
        output=fields.pop("output", {}),
        started_at=STEPS_START + timedelta(seconds=position),
        finished_at=STEPS_START + timedelta(seconds=position + 1),
        workspace=digest,
        **fields,
    )


SCRIPT = b"print('<script>alert(1)</script>')\n"


@pytest.fixture
def run(org: Organization) -> Run:
    run = make_run(org, slug="coder", status="success", has_workspace=True)
    first = _store(run, {"notes.md": b"# plan\n"})
    second = _store(run, {"notes.md": b"# plan\n", "src/hello.py": SCRIPT})
    _step(run, 0, "step:write-file#0", first)
    _step(run, 1, "step:read-file#0", first)  # changed nothing: not a state of its own
    _step(run, 2, "step:write-file#1", second)
    _step(run, 3, "step:sleep#0", kind="sleep")
    return run


def _tab(client: Any, run: Run, **query: str) -> Any:
    return client.get(run.get_absolute_url(), {"tab": "workspace", **query})


def test_the_tab_lists_the_files_after_the_latest_change_and_any_earlier_one(
    org: Organization, run: Run
) -> None:
    viewer = member(org, Role.VIEWER)
    page = viewer.get(run.get_absolute_url()).content.decode()
    assert f'href="{run.get_absolute_url()}?tab=workspace"' in page

    latest = _tab(viewer, run)
    assert latest.status_code == 200
    body = latest.content.decode()
    assert 'data-workspace-file="notes.md"' in body and 'data-workspace-file="src/hello.py"' in body
    assert body.count("<option") == 2  # two states: after write-file#0 and after write-file#1
    assert f"{len(SCRIPT)}\xa0bytes" in body

    earlier = _tab(viewer, run, at="1").content.decode()  # read-file#0 left write-file#0's state
    assert 'data-workspace-file="notes.md"' in earlier and "src/hello.py" not in earlier


def test_a_text_file_is_shown_escaped_for_highlighting(org: Organization, run: Run) -> None:
    body = _tab(member(org, Role.VIEWER), run, file="src/hello.py").content.decode()
    assert '<code class="language-python">' in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert" not in body


def test_a_download_is_an_attachment_whatever_the_file(org: Organization, run: Run) -> None:
    viewer = member(org, Role.VIEWER)
    url = f"/history/{run.public_id}/workspace/2/file/"
    response = viewer.get(url, {"path": "src/hello.py"})
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == SCRIPT
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="hello.py"'
    assert viewer.get(url, {"path": "../../etc/passwd"}).status_code == 404
    assert viewer.get(url, {"path": "src"}).status_code == 404  # a folder
    assert (
        viewer.get(f"/history/{run.public_id}/workspace/3/file/", {"path": "notes.md"}).status_code
        == 404
    )


def test_another_organization_sees_nothing(org: Organization, run: Run) -> None:
    stranger = member(Organization.objects.create(name="Other", slug="other"), Role.ADMIN)
    assert _tab(stranger, run).status_code == 404
    url = f"/history/{run.public_id}/workspace/2/file/"
    assert stranger.get(url, {"path": "notes.md"}).status_code == 404


def test_runs_without_a_workspace_have_no_tab_and_bad_asks_are_refused(
    org: Organization, run: Run
) -> None:
    viewer = member(org, Role.VIEWER)
    plain = make_run(org, status="success")
    assert "tab=workspace" not in viewer.get(plain.get_absolute_url()).content.decode()
    assert _tab(viewer, plain).status_code == 400
    assert _tab(viewer, run, at="x").status_code == 400
    assert _tab(viewer, run, at="3").status_code == 404  # the sleep stored no workspace
    assert _tab(viewer, run, file="missing.txt").status_code == 404


def test_a_run_with_nothing_stored_yet_says_so(org: Organization) -> None:
    fresh = make_run(org, slug="coder", status="running", has_workspace=True)
    body = _tab(member(org, Role.VIEWER), fresh).content.decode()
    assert "No step has stored the workspace yet" in body


def test_a_run_command_step_shows_its_command_exit_code_and_output(org: Organization) -> None:
    run = make_run(org, slug="coder", status="success", has_workspace=True)
    output = {
        "command": ["/bin/sh", "-c", "python3 hello.py && echo '<b>'"],
        "exit_code": 2,
        "stdout": "hello <b>\n",
        "stderr": "Traceback: boom\n",
        "duration_ms": 41,
        "truncated": False,
    }
    _step(run, 0, "step:run-command#0", output=output)
    body = member(org, Role.VIEWER).get(run.get_absolute_url(), {"tab": "steps"}).content.decode()
    assert "<code>$ python3 hello.py &amp;&amp; echo &#x27;&lt;b&gt;&#x27;</code>" in body
    assert '<strong data-exit-code class="error">2</strong>' in body
    assert "hello &lt;b&gt;" in body and "Traceback: boom" in body
