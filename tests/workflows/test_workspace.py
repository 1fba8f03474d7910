"""The run workspace on the in-memory log: kept across passes, stored by content, bounded, and
reached only through paths inside it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from workflows.errors import WorkspaceError
from workflows.sdk import (
    Completed,
    Context,
    Failed,
    MemoryEventLog,
    StepContext,
    Suspended,
    define_action,
    define_workflow,
    execute_workflow,
    list_files,
    read_file,
    write_file,
)
from workflows.workspace import Limits, Workspace, directory
from workflows.workspace.blobs import MemoryBlobs
from workflows.workspace.paths import inside

pytestmark = pytest.mark.django_db


class Note(BaseModel):
    name: str
    text: str = ""


class Text(BaseModel):
    text: str


def _write(note: Note, ctx: StepContext) -> Text:
    assert ctx.workspace is not None
    (ctx.workspace / note.name).write_text(note.text)
    return Text(text=note.text)


def _read(note: Note, ctx: StepContext) -> Text:
    assert ctx.workspace is not None
    return Text(text=(ctx.workspace / note.name).read_text())


write_note = define_action(slug="ws-write-note", input=Note, output=Text, run=_write)
read_note = define_action(slug="ws-read-note", input=Note, output=Text, run=_read)


async def _write_sleep_read(note: Note, ctx: Context) -> Text:
    await write_note.run(note)
    await ctx.sleep("1h")
    return await read_note.run(Note(name=note.name))


notes = define_workflow(
    slug="ws-notes", input=Note, output=Text, run=_write_sleep_read, workspace=True
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_file_written_in_one_step_is_read_by_the_next_after_a_sleep() -> None:
    log, clock = MemoryEventLog(), Clock()
    first = execute_workflow(notes, {"name": "plan.md", "text": "ship it"}, log, clock=clock)
    assert isinstance(first, Suspended)
    clock.now += timedelta(hours=2)
    # A new pass: a new, empty folder, restored from what the first step stored.
    outcome = execute_workflow(notes, {"name": "plan.md", "text": "ship it"}, log, clock=clock)
    assert outcome == Completed({"text": "ship it"})
    written = log.records[0]
    assert written.workspace and log.records[2].workspace == written.workspace


def test_workflow_code_reads_the_workspace_and_a_workflow_without_one_is_told_how() -> None:
    async def peek(note: Note, ctx: Context) -> Text:
        await write_note.run(note)
        return Text(text=(ctx.workspace / note.name).read_text())

    async def no_folder(note: Note, ctx: Context) -> Text:
        return Text(text=str(ctx.workspace))

    with_one = define_workflow(slug="ws-peek", input=Note, output=Text, run=peek, workspace=True)
    without = define_workflow(slug="ws-none", input=Note, output=Text, run=no_folder)
    assert execute_workflow(with_one, {"name": "a", "text": "b"}) == Completed({"text": "b"})
    failed = execute_workflow(without, {"name": "a"})
    assert isinstance(failed, Failed) and failed.error["type"] == "WorkspaceError"
    assert "define_workflow(..., workspace=True)" in failed.error["message"]


class Count(BaseModel):
    steps: int


class Done(BaseModel):
    blob_writes: int


def _tick(note: Note, ctx: StepContext) -> Text:
    assert ctx.workspace is not None
    (ctx.workspace / "counter").write_text(note.text)
    return Text(text=note.text)


tick = define_action(slug="ws-tick", input=Note, output=Text, run=_tick)
big = define_action(slug="ws-big", input=Note, output=Text, run=_write)


def test_a_file_unchanged_across_100_steps_is_stored_once() -> None:
    payload = os.urandom(512 * 1024).hex()  # 1 MB that no step changes

    async def many(count: Count, ctx: Context) -> Done:
        await big.run(Note(name="data.bin", text=payload))
        for i in range(count.steps):
            await tick.run(Note(name="counter", text=str(i)))
        return Done(blob_writes=0)

    workflow = define_workflow(slug="ws-many", input=Count, output=Done, run=many, workspace=True)
    log = MemoryEventLog()
    assert isinstance(execute_workflow(workflow, {"steps": 100}, log), Completed)
    big_content = [data for data in log.blobs.contents.values() if len(data) == len(payload)]
    assert len(big_content) == 1
    # Each content once: the big file, 100 counters, and one manifest per distinct state.
    assert log.blobs.puts == len(log.blobs.contents) == 1 + 100 + 101
    stored = sum(len(data) for data in log.blobs.contents.values())
    assert stored < 2 * len(payload)

    # A replay of all 101 steps stores nothing more.
    before = log.blobs.puts
    assert isinstance(execute_workflow(workflow, {"steps": 100}, log), Completed)
    assert log.blobs.puts == before


def test_steps_that_change_nothing_store_nothing() -> None:
    async def reads(count: Count, ctx: Context) -> Done:
        await write_note.run(Note(name="a", text="x"))
        for _ in range(count.steps):
            await read_note.run(Note(name="a"))
        return Done(blob_writes=0)

    workflow = define_workflow(slug="ws-reads", input=Count, output=Done, run=reads, workspace=True)
    log = MemoryEventLog()
    assert isinstance(execute_workflow(workflow, {"steps": 50}, log), Completed)
    assert log.blobs.puts == 2  # the file and its manifest
    assert len({record.workspace for record in log.records.values()}) == 1


def test_over_the_limits_the_step_fails_naming_the_setting_and_the_state_before_stays(
    settings: object,
) -> None:
    settings.KEYSTROKE_WORKFLOWS = {  # type: ignore[attr-defined]
        **settings.KEYSTROKE_WORKFLOWS,  # type: ignore[attr-defined]
        "WORKSPACE_MAX_BYTES": 1000,
        "WORKSPACE_MAX_FILES": 3,
    }

    def many_files(note: Note, ctx: StepContext) -> Text:
        assert ctx.workspace is not None
        for i in range(5):
            (ctx.workspace / f"f{i}").write_text("x")
        return Text(text="")

    crowd = define_action(slug="ws-crowd", input=Note, output=Text, run=many_files)

    async def too_big(note: Note, ctx: Context) -> Text:
        await write_note.run(Note(name="small", text="ok"))
        await write_note.run(Note(name="huge.log", text="x" * 5000))
        return Text(text="")

    async def too_many(note: Note, ctx: Context) -> Text:
        await crowd.run(note)
        return Text(text="")

    for slug, body, phrase in (
        ("ws-too-big", too_big, "KEYSTROKE_WORKSPACE_MAX_BYTES"),
        ("ws-too-many", too_many, "KEYSTROKE_WORKSPACE_MAX_FILES"),
    ):
        workflow = define_workflow(slug=slug, input=Note, output=Text, run=body, workspace=True)
        log = MemoryEventLog()
        outcome = execute_workflow(workflow, {"name": "n"}, log)
        assert isinstance(outcome, Failed), slug
        cause = outcome.error["attempts"][-1]
        assert cause["type"] == "WorkspaceError" and phrase in cause["message"], cause
        failed = max(log.records.values(), key=lambda r: r.position)
        assert failed.status == "failed" and len(failed.attempts) == 1  # not retried


def test_the_failed_big_write_leaves_the_state_of_the_step_before(settings: object) -> None:
    settings.KEYSTROKE_WORKFLOWS = {  # type: ignore[attr-defined]
        **settings.KEYSTROKE_WORKFLOWS,  # type: ignore[attr-defined]
        "WORKSPACE_MAX_BYTES": 1000,
    }

    async def too_big(note: Note, ctx: Context) -> Text:
        await write_note.run(Note(name="small", text="ok"))
        await write_note.run(Note(name="huge.log", text="x" * 5000))
        return Text(text="")

    workflow = define_workflow(
        slug="ws-big-fail", input=Note, output=Text, run=too_big, workspace=True
    )
    log = MemoryEventLog()
    outcome = execute_workflow(workflow, {"name": "n"}, log)
    assert isinstance(outcome, Failed)
    assert "huge.log (5,000 bytes)" in outcome.error["message"]
    first, second = log.records[0], log.records[1]
    assert second.workspace == first.workspace
    assert set(log.blobs.manifest(first.workspace)) == {"small"}


@pytest.mark.parametrize(
    ("path", "says"),
    [
        ("../outside.txt", "uses '..'"),
        ("notes/../../outside.txt", "uses '..'"),
        ("/etc/passwd", "is absolute"),
        ("", "relative to the workspace"),
        ("a\x00b", "relative to the workspace"),
        ("link/passwd", "symlink link"),
        ("etc-link", "symlink etc-link"),
    ],
)
def test_paths_that_leave_the_workspace_are_refused(tmp_path: Path, path: str, says: str) -> None:
    (tmp_path / "link").symlink_to("/etc")
    (tmp_path / "etc-link").symlink_to("/etc/passwd")
    with pytest.raises(WorkspaceError, match=says.replace("(", r"\(")):
        inside(tmp_path, path)


def test_the_tools_work_inside_and_refuse_escapes_as_failed_steps() -> None:
    class Out(BaseModel):
        listed: list[str]
        text: str
        refused: list[str]

    async def use_tools(note: Note, ctx: Context) -> Out:
        await write_file.run({"path": "docs/readme.md", "content": "# hello"})
        os.symlink("docs", ctx.workspace / "etc")  # within the workspace, still not followed
        text = (await read_file.run({"path": "docs/readme.md"})).content
        listed = [entry.path for entry in (await list_files.run({})).files]
        refused = []
        for bad in ("../x", "/etc/hostname", "etc/readme.md"):
            try:
                await read_file.run({"path": bad})
            except Exception as exc:  # the step failed: its error names why
                refused.append(str(exc))
        return Out(listed=listed, text=text, refused=refused)

    workflow = define_workflow(
        slug="ws-tools", input=Note, output=Out, run=use_tools, workspace=True
    )
    outcome = execute_workflow(workflow, {"name": "n"})
    assert isinstance(outcome, Completed), outcome
    assert outcome.output["text"] == "# hello"
    assert outcome.output["listed"] == ["docs", "etc", "docs/readme.md"]
    uses, absolute, link = outcome.output["refused"]
    assert "uses '..'" in uses and "is absolute" in absolute and "symlink etc" in link


def test_a_workspace_whose_stored_files_are_gone_fails_the_run_saying_so() -> None:
    log, clock = MemoryEventLog(), Clock()
    assert isinstance(
        execute_workflow(notes, {"name": "a", "text": "b"}, log, clock=clock), Suspended
    )
    log.blobs.contents.clear()  # deleted outside Keystroke
    clock.now += timedelta(hours=2)
    outcome = execute_workflow(notes, {"name": "a", "text": "b"}, log, clock=clock)
    assert isinstance(outcome, Failed)
    assert outcome.error["type"] == "WorkspaceError"
    assert "workspace cannot be restored" in outcome.error["message"]


def test_folders_left_by_a_killed_process_are_deleted_by_the_next_one() -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    left = Path(directory._passes_folder(), f"{gone.stdout.strip()}-abc")
    left.mkdir()
    (left / "notes.md").write_text("left behind")
    mine = Path(directory._passes_folder(), f"{os.getpid()}-live")
    mine.mkdir()
    directory._swept = False
    directory._passes_folder()
    assert not left.exists() and mine.exists()
    mine.rmdir()


def _link_out(note: Note, ctx: StepContext) -> Text:
    assert ctx.workspace is not None
    (ctx.workspace / "passwd").symlink_to("/etc/passwd")
    return Text(text="linked")


link_out = define_action(slug="ws-link-out", input=Note, output=Text, run=_link_out)


def test_a_step_that_leaves_a_symlink_out_of_the_workspace_fails_and_it_is_not_kept() -> None:
    async def body(note: Note, ctx: Context) -> Text:
        await write_note.run(Note(name="a", text="kept"))
        try:
            await link_out.run(note)
        except Exception:
            pass
        return await read_note.run(Note(name="a"))  # the folder as the step before left it

    workflow = define_workflow(slug="ws-link", input=Note, output=Text, run=body, workspace=True)
    log = MemoryEventLog()
    outcome = execute_workflow(workflow, {"name": "n"}, log)
    assert outcome == Completed({"text": "kept"})
    refused = log.records[1]
    assert refused.status == "failed" and len(refused.attempts) == 1
    assert "symlink passwd leads out of it (to /etc/passwd)" in refused.error["message"]
    assert set(log.blobs.manifest(log.records[2].workspace)) == {"a"}


def test_over_its_limits_the_folder_goes_back_so_later_steps_can_go_on(settings: object) -> None:
    settings.KEYSTROKE_WORKFLOWS = {  # type: ignore[attr-defined]
        **settings.KEYSTROKE_WORKFLOWS,  # type: ignore[attr-defined]
        "WORKSPACE_MAX_BYTES": 1000,
    }

    async def body(note: Note, ctx: Context) -> Text:
        await write_note.run(Note(name="small", text="ok"))
        try:
            await write_note.run(Note(name="huge.log", text="x" * 5000))
        except Exception:
            pass
        await write_note.run(Note(name="more", text="fine"))
        return Text(text=",".join(sorted(p.name for p in ctx.workspace.iterdir())))

    workflow = define_workflow(
        slug="ws-goes-back", input=Note, output=Text, run=body, workspace=True
    )
    log = MemoryEventLog()
    assert execute_workflow(workflow, {"name": "n"}, log) == Completed({"text": "more,small"})
    assert log.records[1].status == "failed" and log.records[2].status == "success"


def test_an_edit_that_puts_the_old_modification_time_back_is_still_seen() -> None:
    blobs = MemoryBlobs()
    folder = Workspace(blobs, Limits(max_bytes=10**6, max_files=100))
    try:
        target = folder.path / "data.csv"
        target.write_text("a,1\n")
        old = time.time_ns() - 10 * 10**9
        os.utime(target, ns=(old, old))
        time.sleep(2.1)  # past the racy window: the first snapshot trusts what it hashed
        first = folder.snapshot()
        target.write_text("b,2\n")  # same size, as `cp -p` would leave it
        os.utime(target, ns=(old, old))
        second = folder.snapshot()
        assert second != first
        assert (
            blobs.manifest(second)["data.csv"]["sha256"]
            != blobs.manifest(first)["data.csv"]["sha256"]
        )
    finally:
        folder.close()


def test_a_change_in_one_folder_stores_only_the_trees_on_its_path() -> None:
    blobs = MemoryBlobs()
    folder = Workspace(blobs, Limits(max_bytes=10**8, max_files=10_000))
    try:
        for group in ("a", "b"):
            for i in range(50):
                path = folder.path / group / "deep" / f"{i}.txt"
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(f"{group}{i}")
        first = folder.snapshot()
        before = dict(blobs.contents)
        (folder.path / "a" / "deep" / "0.txt").write_text("changed")
        second = folder.snapshot()
        new = {sha: data for sha, data in blobs.contents.items() if sha not in before}
        # the file, and the trees of a/deep, a and the root: b's trees are shared
        assert len(new) == 4
        assert sum(map(len, new.values())) < 8000  # a flat manifest alone would be 13 KB
        manifest = blobs.manifest(second)
        assert len(manifest) == 2 * 50 + 4 and manifest["b/deep"] == {"type": "dir"}
        assert blobs.manifest(first)["a/deep/0.txt"]["size"] == 2
    finally:
        folder.close()


def test_the_latest_state_is_the_one_stored_last_whatever_the_workers_clocks_say() -> None:
    async def body(note: Note, ctx: Context) -> Text:
        await write_note.run(Note(name="a", text="first"))
        await ctx.hook("one")
        await write_note.run(Note(name="a", text="second"))
        await ctx.hook("two")
        return await read_note.run(Note(name="a"))

    workflow = define_workflow(slug="ws-skew", input=Note, output=Text, run=body, workspace=True)
    log = MemoryEventLog()
    assert isinstance(execute_workflow(workflow, {"name": "n"}, log), Suspended)
    log.resume_hook(log.records[1].token or "", {})
    assert isinstance(execute_workflow(workflow, {"name": "n"}, log), Suspended)
    # The first write ran on a worker whose clock was an hour ahead.
    first = log.records[0]
    ahead = (first.finished_at or first.started_at) + timedelta(hours=1)  # type: ignore[operator]
    first.finished_at = ahead
    first.attempts = [{**first.attempts[-1], "finished_at": ahead.isoformat()}]
    log.resume_hook(log.records[3].token or "", {})
    outcome = execute_workflow(workflow, {"name": "n"}, log)
    assert outcome == Completed({"text": "second"})
    assert [log.records[p].workspace_seq for p in (0, 2, 4)] == [1, 2, 3]
