"""``manage.py prune_runs [--dry-run]`` prints what it deletes; a dry run deletes nothing."""

from __future__ import annotations

import re
import subprocess
import sys
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from history.models import AuditEvent, Organization

from ..support import ROOT
from .retention_support import DAY, census, make_run, with_rows

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def policy(settings: Any) -> None:
    settings.KEYSTROKE_WORKFLOWS = {
        **settings.KEYSTROKE_WORKFLOWS,
        "RETENTION": "success=30d,failed=90d",
    }


def prune(*args: str) -> str:
    out = StringIO()
    call_command("prune_runs", *args, stdout=out)
    return out.getvalue()


def test_it_prints_in_a_dry_run_the_counts_the_real_run_then_deletes(org: Organization) -> None:
    for _ in range(3):
        with_rows(make_run(org, age=40 * DAY))
    with_rows(make_run(org, slug="signup-pipeline", status="failed", age=100 * DAY))
    # canceled runs are kept: the policy leaves them out
    make_run(org, status="canceled", age=400 * DAY)
    make_run(org, age=DAY)
    before = census()

    dry = prune("--dry-run")
    assert census() == before, "a dry run deletes nothing"
    real = prune()

    after = census()
    assert "Would delete 4 runs" in dry and "Deleted 4 runs" in real
    assert _counts(dry) == _counts(real)
    assert re.search(r"greeting\s+success\s+3\b", real) and re.search(
        r"signup-pipeline\s+failed\s+1\b", real
    )
    assert "8 steps, 8 usage lines, 4 spans, 4 logs, 4 trigger deliveries" in real
    assert {name: before[name] - after[name] for name in before} == {
        "runs": 4,
        "steps": 8,
        "usage": 8,
        "spans": 4,
        "logs": 4,
        "deliveries": 4,
        "audit": -1,
    }
    assert AuditEvent.objects.filter(actor="retention").count() == 1


def test_it_says_when_there_is_nothing_to_delete(org: Organization) -> None:
    make_run(org, age=DAY)
    assert "Nothing to delete" in prune()


def test_it_says_when_no_retention_is_set(org: Organization, settings: Any) -> None:
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "RETENTION": ""}
    assert "every finished run is kept" in prune("--dry-run")


def _counts(output: str) -> list[str]:
    """The output without its verb: the table of runs and the line of rows."""
    return [
        line for line in output.splitlines() if not line.startswith(("Would delete", "Deleted"))
    ]


def test_it_works_on_sqlite(tmp_path: Any) -> None:
    """``keystroke dev`` runs on SQLite: the same prune, without row locks or arrays."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "KEYSTROKE_HOME": str(tmp_path),
        "KEYSTROKE_RETENTION": "success=30d",
        "DJANGO_SETTINGS_MODULE": "keystroke_site.settings",
        "DEBUG": "1",
        "PATH": "/usr/bin:/bin",
    }
    script = (
        "from io import StringIO\nfrom django.core.management import call_command\n"
        "from history.models import Organization, Run\n"
        "from tests.workflows.retention_support import DAY, census, make_run, with_rows\n"
        "call_command('migrate', verbosity=0)\norg = Organization.objects.default()\n"
        "parent = with_rows(make_run(org, age=40 * DAY))\n"
        "with_rows(make_run(org, age=40 * DAY, parent=parent))\n"
        "kept = with_rows(make_run(org, age=DAY))\n"
        "dry = StringIO(); call_command('prune_runs', '--dry-run', stdout=dry)\n"
        "real = StringIO(); call_command('prune_runs', stdout=real)\n"
        "print(dry.getvalue()); print(real.getvalue()); print(census())\n"
        "assert list(Run.objects.values_list('pk', flat=True)) == [kept.pk]\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup()\n{script}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Would delete 2 runs" in done.stdout and "Deleted 2 runs" in done.stdout
    assert "4 steps, 4 usage lines, 2 spans, 2 logs, 2 trigger deliveries" in done.stdout
    assert "'runs': 1, 'steps': 2" in done.stdout
