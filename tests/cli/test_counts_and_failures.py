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


def test_history_list_lists_the_runs_of_one_failure_group(cli: Cli) -> None:
    org = Organization.objects.default()
    timeout = {"type": "Timeout", "message": "CRM timed out after 30s"}
    other = {"type": "KeyError", "message": "'email'"}
    grouped = make_run(
        org, "signup", status="failed", error=timeout, error_fingerprint=fingerprint_of(timeout)
    )
    make_run(org, "signup", status="failed", error=other, error_fingerprint=fingerprint_of(other))
    make_run(org, "signup", status="success")

    failures = cli.ok("history", "failures").json()["failures"]
    fp = next(g["fingerprint"] for g in failures if g["type"] == "Timeout")
    runs = cli.ok("history", "list", "--fingerprint", fp).json()
    assert [run["id"] for run in runs] == [grouped.public_id]
    help_text = cli.ok("history", "failures", "--help").stdout
    assert "history list --fingerprint" in help_text and "--filter fingerprint" not in help_text


def test_history_list_lists_the_active_runs_still_on_an_old_version(cli: Cli) -> None:
    org = Organization.objects.default()
    asleep = make_run(org, "signup", status="sleeping", version="release-41")
    make_run(org, "signup", status="success", version="release-41")
    make_run(org, "signup", status="sleeping", version="release-42")

    old = cli.ok("history", "list", "--version", "release-41", "--status", "sleeping").json()
    assert [(run["id"], run["version"]) for run in old] == [(asleep.public_id, "release-41")]
    assert "--version VERSION" in cli.ok("history", "list", "--help").stdout


def test_counts_and_failures_take_comma_separated_statuses_where_and_search(cli: Cli) -> None:
    org = Organization.objects.default()
    timeout = {"type": "Timeout", "message": "CRM timed out after 30s"}
    for email in ("ada@acme.io", "bob@acme.io"):
        make_run(
            org,
            "signup",
            status="failed",
            input={"email": email},
            error=timeout,
            error_fingerprint=fingerprint_of(timeout),
        )
    make_run(org, "signup", status="canceled", input={"email": "ada@acme.io"})
    make_run(org, "report", status="success")

    counts = cli.ok("history", "counts", "--status", "failed,canceled").json()
    assert counts["total"] == 3 and counts["counts"]["canceled"]["count"] == 1
    counts = cli.ok("history", "counts", "--where", "input.email=ada@acme.io").json()
    assert counts["counts"]["failed"]["count"] == 1 and counts["total"] == 2
    assert cli.ok("history", "counts", "--search", "report").json()["total"] == 1

    failures = cli.ok("history", "failures", "--where", "input.email=bob@acme.io").json()
    assert [g["count"] for g in failures["failures"]] == [1]
    assert cli.ok("history", "failures", "--search", "report").json()["failures"] == []
    assert cli.ok("history", "failures", "--search", "CRM").json()["failures"][0]["count"] == 2
