"""The agent tools over a run's workspace: read_file, write_file, list_files, delete_file and
run_command, each a durable action step (``step:read-file#n``…).

Give them to an agent with ``tools=[..., *workspace_tools()]`` or ``define_agent(...,
workspace=True)``; workflow code may await them like any action. Paths are relative to the
workspace and cannot leave it.
"""

from __future__ import annotations

import os
import shutil
import stat
from typing import Any

from pydantic import BaseModel, Field

from ..definitions import Action
from ..engine import StepContext
from ..errors import WorkspaceError
from .paths import inside, lock_of
from .sandbox import CommandResult

READ_LIMIT = 256 * 1024  # characters of a file read_file returns; the rest is cut, and it says so


class WorkspaceTool(Action):
    """A built-in action on the workspace; ``tool_name`` is what the model calls it."""

    def __init__(self, tool_name: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.tool_name = tool_name


class PathIn(BaseModel):
    path: str = Field(
        description="A path relative to the workspace, e.g. 'notes/plan.md'.",
        examples=["hello.py"],
    )


class ReadOut(BaseModel):
    path: str
    content: str
    size: int = Field(description="The file's size in bytes.")
    truncated: bool = False


def _read(data: PathIn, ctx: StepContext) -> ReadOut:
    root = ctx.require_workspace("read_file")
    with lock_of(root):
        target = inside(root, data.path)
        if target.is_dir():
            raise WorkspaceError(
                f"read_file({data.path!r}): that is a folder; list_files shows what it holds."
            )
        with _open_file(target, os.O_RDONLY, f"read_file({data.path!r})") as handle:
            raw = handle.read(READ_LIMIT * 4 + 1)
            size = os.fstat(handle.fileno()).st_size
    text = raw.decode("utf-8", errors="replace")
    return ReadOut(
        path=data.path,
        content=text[:READ_LIMIT],
        size=size,
        truncated=len(text) > READ_LIMIT or len(raw) < size,
    )


class WriteIn(BaseModel):
    path: str = Field(
        description="A path relative to the workspace; missing folders are made.",
        examples=["hello.py"],
    )
    content: str = Field(
        description="The file's whole new content (UTF-8 text).",
        examples=["print('hello from the workspace')\n"],
    )


class WriteOut(BaseModel):
    path: str
    size: int


def _write(data: WriteIn, ctx: StepContext) -> WriteOut:
    root = ctx.require_workspace("write_file")
    encoded = data.content.encode()
    with lock_of(root):
        target = inside(root, data.path)
        if target.is_dir():
            raise WorkspaceError(f"write_file({data.path!r}): that is a folder; name a file in it.")
        target.parent.mkdir(parents=True, exist_ok=True)
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        with _open_file(target, flags, f"write_file({data.path!r})", "wb") as handle:
            handle.write(encoded)
    return WriteOut(path=data.path, size=len(encoded))


class ListIn(BaseModel):
    path: str = Field(
        default=".",
        description="A folder relative to the workspace; '.' is the whole workspace.",
        examples=["."],
    )


class Entry(BaseModel):
    path: str
    type: str = Field(description="file, dir or link")
    size: int = 0


class ListOut(BaseModel):
    files: list[Entry]


def _list(data: ListIn, ctx: StepContext) -> ListOut:
    root = ctx.require_workspace("list_files")
    with lock_of(root):
        return _listed(root, data)


def _listed(root: Any, data: ListIn) -> ListOut:
    folder = inside(root, data.path, allow_root=True)
    if not folder.is_dir():
        raise WorkspaceError(
            f"list_files({data.path!r}): there is no such folder in the workspace."
        )
    entries = []
    for current, dirs, names in os.walk(folder):
        dirs.sort()
        for name in sorted([*dirs, *names]):
            full = os.path.join(current, name)
            path = os.path.relpath(full, root)
            if os.path.islink(full):
                entries.append(Entry(path=path, type="link"))
            elif os.path.isdir(full):
                entries.append(Entry(path=path, type="dir"))
            else:
                entries.append(Entry(path=path, type="file", size=os.path.getsize(full)))
    return ListOut(files=entries)


class DeleteIn(BaseModel):
    path: str = Field(
        description="A file or folder relative to the workspace, e.g. 'scratch/'.",
        examples=["scratch.txt"],
    )


class DeleteOut(BaseModel):
    path: str
    deleted: bool = Field(description="False when there was nothing at that path.")


def _delete(data: DeleteIn, ctx: StepContext) -> DeleteOut:
    root = ctx.require_workspace("delete_file")
    with lock_of(root):
        target = inside(root, data.path)
        if target.is_dir():
            shutil.rmtree(target)  # never follows a symlink inside it
            return DeleteOut(path=data.path, deleted=True)
        if not target.exists():
            return DeleteOut(path=data.path, deleted=False)
        target.unlink()
    return DeleteOut(path=data.path, deleted=True)


class CommandIn(BaseModel):
    command: str = Field(
        description=(
            "A shell command, run with /bin/sh in the workspace (at /workspace) without network "
            "access, e.g. 'python3 hello.py'."
        ),
        examples=["python3 hello.py"],
    )
    timeout_seconds: float | None = Field(
        default=None, gt=0, description="Seconds before the command is killed (a cap applies)."
    )


def _command(data: CommandIn, ctx: StepContext) -> CommandResult:
    return ctx.run_command(data.command, timeout=data.timeout_seconds)


def _open_file(target: Any, flags: int, what: str, mode: str = "rb") -> Any:
    """``target`` opened as a regular file: never through a symlink, and never a pipe or a
    device a command left there, which would block the step."""
    try:
        fd = os.open(target, flags | os.O_NOFOLLOW | os.O_NONBLOCK, 0o644)
    except FileNotFoundError:
        raise WorkspaceError(f"{what}: there is no such file in the workspace.") from None
    except OSError as exc:
        raise WorkspaceError(f"{what}: the file cannot be opened ({exc.strerror}).") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise WorkspaceError(f"{what}: that is not a regular file (a pipe, socket or device).")
    os.set_blocking(fd, True)
    return os.fdopen(fd, mode)


def _tool(tool_name: str, description: str, **kwargs: Any) -> WorkspaceTool:
    return WorkspaceTool(
        tool_name,
        slug=tool_name.replace("_", "-"),
        name=tool_name,
        description=description,
        source=__file__,
        **kwargs,
    )


read_file = _tool(
    "read_file",
    "Read a text file of the workspace.",
    input=PathIn,
    output=ReadOut,
    run=_read,
)
write_file = _tool(
    "write_file",
    "Create or replace a text file in the workspace.",
    input=WriteIn,
    output=WriteOut,
    run=_write,
)
list_files = _tool(
    "list_files",
    "List the files and folders of the workspace, or of a folder in it.",
    input=ListIn,
    output=ListOut,
    run=_list,
)
delete_file = _tool(
    "delete_file",
    "Delete a file or a folder of the workspace.",
    input=DeleteIn,
    output=DeleteOut,
    run=_delete,
)
run_command = _tool(
    "run_command",
    "Run a shell command in the workspace, sandboxed: no network, a time and a memory limit. "
    "Returns its exit code, stdout and stderr.",
    input=CommandIn,
    output=CommandResult,
    run=_command,
    retries=0,  # a command's effects are its own: the model decides whether to run it again
)


def workspace_tools() -> list[WorkspaceTool]:
    """The five workspace tools, for ``define_agent(tools=[..., *workspace_tools()])``: listed so
    that a model calling each once writes a file before it runs a command, and deletes last."""
    return [list_files, write_file, read_file, run_command, delete_file]
