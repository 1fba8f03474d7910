"""The migration that fingerprints the failed runs recorded before fingerprints were stored."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.db import connection

from history.fingerprints import fingerprint_of
from history.models import Organization, Run

from ..factories import make_run

pytestmark = pytest.mark.django_db

fill = importlib.import_module("history.migrations.0021_fill_error_fingerprint")


def test_it_fingerprints_every_failed_run_in_batches_and_nothing_else(
    org: Organization, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(fill, "BATCH", 2)
    errors = [{"type": "Timeout", "message": f"CRM timed out after {n}s"} for n in range(5)]
    failed = [make_run(org, status="failed", error=error) for error in errors]
    long = {"type": "Dump", "message": "x" * 5000 + " 7"}
    failed.append(make_run(org, status="failed", error=long))
    untyped = make_run(org, status="failed", error=None)
    failed.append(make_run(org, status="failed", error={"traceback": "no type, no message"}))
    canceled = make_run(org, status="canceled", error=errors[0])
    done = make_run(org, status="success")

    fill.fill_fingerprints(apps, None)

    fingerprints = dict(Run.objects.values_list("pk", "error_fingerprint"))
    assert [fingerprints[r.pk] for r in failed] == [fingerprint_of(r.error) for r in failed]
    assert len({fingerprints[r.pk] for r in failed[:5]}) == 1, "one kind of failure"
    assert fingerprints[untyped.pk] == fingerprints[canceled.pk] == fingerprints[done.pk] == ""


ODD_ERRORS = [
    {},
    {"type": None, "message": None},
    {"type": 5, "message": ["a", 1]},
    {"type": "Timeout", "message": 30},
    {"type": {"nested": True}, "message": "CRM timed out after 3s", "step_id": 7},
    {"type": "StepFailed", "message": "lookup failed: 'email'", "step_id": "step:lookup#2/0"},
    {"type": "E", "message": 'caf\u00e9 \u2028 line\n\t"quoted 1" \\ ' + "x" * 5000},
    "a string, not an object",
    ["a", "list"],
    7,
]


@pytest.mark.parametrize("error", ODD_ERRORS, ids=range(len(ODD_ERRORS)))
def test_the_backfill_and_the_store_agree_on_odd_errors(org: Organization, error: object) -> None:
    run = make_run(org, status="failed", error=error)
    fill.fill_fingerprints(apps, None)
    run.refresh_from_db()
    # workflows.store writes fingerprint_of(outcome.error) when a run fails
    assert run.error_fingerprint == fingerprint_of(error)


def test_a_run_inserted_without_a_fingerprint_gets_the_columns_default(org: Organization) -> None:
    """As an INSERT of the previous release, which knows no error_fingerprint column."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT column_default FROM information_schema.columns"
            " WHERE table_name = 'history_run' AND column_name = 'error_fingerprint'"
        )
        assert cursor.fetchone()[0].startswith("''")
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'history_run_org_fingerprint'"
        )
        definition = cursor.fetchone()[0]
    assert "error_fingerprint, finished_at DESC, id DESC" in definition
    assert "WHERE" in definition and "failed" in definition
