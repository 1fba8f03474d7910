"""``keystroke history counts`` and ``keystroke history failures`` as subprocesses against a live
server."""

from __future__ import annotations

import pytest

from history.fingerprints import fingerprint_of
from history.models import Organization

from ..factories import make_run
from .conftest import Cli

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_prints_the_counts_and_the_failures_of_the_filters(cli: Cli) -> None:
    org = Organization.objects.default()
    for seconds in (30, 31):
        error = {"type": "Timeout", "message": f"CRM timed out after {seconds}s"}
        make_run(
            org, "signup", status="failed", error=error, error_fingerprint=fingerprint_of(error)
        )
    make_run(org, "signup", status="success")
    make_run(org, "report", status="running")

    counts = cli.ok("history", "counts", "--slug", "signup").json()
    assert counts["counts"]["failed"] == {"count": 2, "exact": True, "estimate": None}
    assert counts["counts"]["running"]["count"] == 0 and counts["total"] == 3
    table = cli.ok("history", "counts", "--filter", "workflow=signup", "-o", "table").stdout
    rows = [line.split() for line in table.splitlines()]
    assert ["success", "1"] in rows and ["failed", "2"] in rows

    failures = cli.ok("history", "failures", "--range", "24h").json()["failures"]
    assert [(g["type"], g["count"], g["pattern"]) for g in failures] == [
        ("Timeout", 2, "CRM timed out after <n>s")
    ]
    table = cli.ok("history", "failures", "-o", "table").stdout
    assert "CRM timed out after <n>s" in table and failures[0]["fingerprint"] in table

    refused = cli.fails("history", "counts", "--filter", "range")
    assert "--filter 'range': write it as key=value" in refused.stderr
    refused = cli.fails("history", "failures", "--filter", "range=1y")
    assert "range" in refused.stderr
