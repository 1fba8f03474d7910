"""The project version a run records: KEYSTROKE_VERSION, or a hash of the project's code."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import transaction

from history.models import Organization
from workflows import store, versions
from workflows.registry import registry

from ..factories import add_steps, api_origin, make_run


def _hash(*folders: Path) -> str:
    versions.code_hash.cache_clear()
    return versions.code_hash(folders)


def _project(root: Path) -> Path:
    (root / "workflows").mkdir(parents=True)
    (root / "workflows" / "orders.py").write_text("STEPS = 1\n")
    return root


def test_the_hash_follows_the_python_code_and_nothing_else(tmp_path: Path) -> None:
    project = _project(tmp_path / "project")
    first = _hash(project)
    assert len(first) == versions.HASH_LENGTH and int(first, 16) >= 0

    (project / "README.md").write_text("notes")
    (project / "workflows" / "__pycache__").mkdir()
    (project / "workflows" / "__pycache__" / "orders.cpython-312.pyc").write_bytes(b"\0")
    (project / ".venv" / "lib").mkdir(parents=True)
    (project / ".venv" / "lib" / "site.py").write_text("x = 1\n")
    assert _hash(project) == first

    (project / "workflows" / "orders.py").write_text("STEPS = 2\n")
    changed = _hash(project)
    assert changed != first
    (project / "workflows" / "orders.py").rename(project / "workflows" / "invoices.py")
    assert _hash(project) not in (first, changed)  # a file's path counts, not only its text


def test_the_same_code_in_another_folder_or_order_of_folders_is_told_apart(tmp_path: Path) -> None:
    a, b = _project(tmp_path / "a"), _project(tmp_path / "b")
    (b / "workflows" / "orders.py").write_text("STEPS = 3\n")
    assert _hash(a) == _hash(_project(tmp_path / "copy-of-a"))
    assert _hash(a, b) != _hash(b, a)


def test_KEYSTROKE_VERSION_wins_over_the_hash(settings: Any) -> None:
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "VERSION": "release-2026.12.1"}
    assert versions.current() == "release-2026.12.1"
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "VERSION": ""}
    assert re.fullmatch(r"[0-9a-f]{12}", versions.current())


@pytest.mark.parametrize("value", ["has space", "-leading-dash", "x" * 65, "tab\there", "ü"])
def test_a_bad_KEYSTROKE_VERSION_stops_start_up_naming_the_variable(
    settings: Any, value: str
) -> None:
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "VERSION": value}
    with pytest.raises(SystemCheckError, match=r"workflows\.E012.*KEYSTROKE_VERSION="):
        call_command("check", tags=["settings"])


@pytest.mark.django_db
def test_a_run_records_the_version_it_started_on_and_keeps_it_when_retried(
    settings: Any, org: Organization
) -> None:
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "VERSION": "v7"}
    with transaction.atomic():
        run = store.create_run_txn(registry.workflow("greeting"), {"name": "Ada"}, api_origin(org))
    assert run.version == "v7"
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "VERSION": "v8"}
    run.status = "failed"
    run.save(update_fields=["status"])
    with transaction.atomic():
        assert store.retry_run_txn(run, None)
    run.refresh_from_db()
    assert (run.status, run.version) == ("queued", "v7")


@pytest.mark.django_db
def test_a_retry_from_a_step_keeps_the_version_its_copied_steps_were_recorded_by(
    settings: Any, org: Organization
) -> None:
    original = make_run(org, "greeting", status="failed", version="v1")
    add_steps(original, ("greet", "success", {"message": "hi"}))
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "VERSION": "v2"}
    workflow, origin = registry.workflow("greeting"), api_origin(org)
    with transaction.atomic():
        copied = store.create_retry_run_txn(
            workflow, {"name": "Ada"}, origin, original, list(original.steps.all())
        )
        from_the_start = store.create_retry_run_txn(workflow, {"name": "Ada"}, origin, original, [])
    assert (copied.version, from_the_start.version) == ("v1", "v2")
