"""The migration that fingerprints the failed runs recorded before fingerprints were stored."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

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
    canceled = make_run(org, status="canceled", error=errors[0])
    done = make_run(org, status="success")

    fill.fill_fingerprints(apps, None)

    fingerprints = dict(Run.objects.values_list("pk", "error_fingerprint"))
    assert [fingerprints[r.pk] for r in failed] == [fingerprint_of(r.error) for r in failed]
    assert len({fingerprints[r.pk] for r in failed[:5]}) == 1, "one kind of failure"
    assert fingerprints[untyped.pk] == fingerprints[canceled.pk] == fingerprints[done.pk] == ""
