"""Import the user project so that its definitions register."""

from __future__ import annotations

import importlib
import sys
import types
from pathlib import Path

from .errors import ProjectError

# tasks/: plain Celery tasks of the project, which workers run and History can record.
FOLDERS = ("actions", "agents", "workflows", "triggers", "tasks")


def package_name(index: int) -> str:
    return "keystroke_project" if index == 0 else f"keystroke_project_{index + 1}"


def load_project(directories: list[Path]) -> None:
    """Import every module under each directory's actions/, agents/, workflows/, triggers/,
    tasks/.

    Each directory becomes a package (``keystroke_project``, ``keystroke_project_2``…), so
    its modules can import each other relatively. Loading twice is a no-op.
    """
    for index, directory in enumerate(directories):
        load_package(package_name(index), directory)


def load_package(name: str, directory: Path) -> None:
    if name in sys.modules:
        return
    if not directory.is_dir():
        raise ProjectError(f"KEYSTROKE_PROJECT_DIR names {directory}, which is not a directory.")
    package = types.ModuleType(name)
    package.__path__ = [str(directory)]
    package.__file__ = str(directory / "__init__.py")
    sys.modules[name] = package
    for module in _modules(directory, name):
        try:
            importlib.import_module(module)
        except ValueError as exc:  # a define_* call refused its arguments
            raise ProjectError(f"{module}: {exc}") from exc


def _modules(directory: Path, package: str) -> list[str]:
    found = []
    for folder in FOLDERS:
        for path in sorted((directory / folder).rglob("*.py")):
            parts = path.relative_to(directory).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found.append(".".join((package, *parts)))
    return found
