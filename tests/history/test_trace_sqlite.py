"""The Trace tab's log filters on SQLite, the embedded default: by step id, step key, kind and
status, through JSON1 (``attributes__contains`` is PostgreSQL's only)."""

from __future__ import annotations

from typing import Any

from ..support import run_on_sqlite

SCRIPT = """
import json
from django.core.management import call_command
from history import trace_logs
from history.models import Organization
from tests.history.trace_runs import investigated_run
call_command('migrate', verbosity=0)
run = investigated_run(Organization.objects.default())

def found(**chosen):
    logs = trace_logs.filtered(run, trace_logs.LogFilter(**chosen))
    return list(logs.values_list('message', flat=True))

print(json.dumps({
    'id': found(step='step:lookup-company#0'),
    'key': found(step='lookup-company'),
    'kind': found(kind='action'),
    'hook': found(kind='hook'),
    'failed': found(status='failed', kind='action'),
}))
"""


def test_the_log_filters_work_on_sqlite(tmp_path: Any) -> None:
    result = run_on_sqlite(tmp_path, SCRIPT)
    lookup = ["CRM slow", "No hostname was supplied", "found acme"]
    assert result == {
        "id": lookup,
        "key": lookup,
        "kind": lookup,
        "hook": [],
        "failed": ["CRM slow", "No hostname was supplied"],
    }
