"""Loading the user project: relative imports, and loud failures naming the files."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.errors import ProjectError
from workflows.project import load_package
from workflows.registry import Registry, registry

MODEL = "from pydantic import BaseModel\n\nclass M(BaseModel):\n    x: int = 0\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def workflow_module(slug: str, up: str = "..") -> str:
    return (
        f"from workflows.sdk import define_workflow\nfrom {up}actions.shared import M\n\n"
        "async def run(input, ctx):\n    return input\n\n"
        f"wf = define_workflow(slug={slug!r}, input=M, output=M, run=run)\n"
    )


def test_it_imports_every_module_with_relative_imports(
    tmp_path: Path, scratch_registry: Registry
) -> None:
    write(tmp_path / "actions/shared.py", MODEL)
    write(tmp_path / "workflows/nested/deep.py", workflow_module("project-deep", up="..."))
    load_package("keystroke_test_project_ok", tmp_path)
    assert registry.workflow("project-deep").source == str(tmp_path / "workflows/nested/deep.py")


def test_two_definitions_with_one_slug_fail_start_up_naming_both_files(
    tmp_path: Path, scratch_registry: Registry
) -> None:
    write(tmp_path / "actions/shared.py", MODEL)
    write(tmp_path / "workflows/a.py", workflow_module("project-twice"))
    write(tmp_path / "workflows/b.py", workflow_module("project-twice"))
    with pytest.raises(ProjectError) as caught:
        load_package("keystroke_test_project_dup", tmp_path)
    assert str(tmp_path / "workflows/a.py") in str(caught.value)
    assert str(tmp_path / "workflows/b.py") in str(caught.value)


def test_a_missing_directory_is_named(tmp_path: Path, scratch_registry: Registry) -> None:
    with pytest.raises(ProjectError, match="not a directory"):
        load_package("keystroke_test_project_missing", tmp_path / "nope")
