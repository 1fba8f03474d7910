"""``keystroke history list --where`` as a subprocess against a live server."""

from __future__ import annotations

import pytest

from history.models import Organization

from ..factories import make_run
from .conftest import Cli

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_lists_the_runs_whose_payloads_match(cli: Cli) -> None:
    org = Organization.objects.default()
    ada = make_run(org, "signup", input={"email": "ada@acme.io"}, output={"score": 91})
    make_run(org, "signup", input={"email": "ada@acme.io"}, output={"score": 12})
    make_run(org, "signup", input={"email": "bob@acme.io"}, output={"score": 95})

    found = cli.ok(
        "history", "list", "--where", "input.email=ada@acme.io", "--where", "output.score>=80"
    )
    assert [run["id"] for run in found.json()] == [ada.public_id]
    text = cli.ok("history", "list", "--where", "input.note=a, b", "--search", "ADA@").json()
    assert text == []  # the comma stays in the clause; --search reads the payloads too
    assert len(cli.ok("history", "list", "--search", "ada@acme").json()) == 2


def test_a_bad_clause_prints_the_servers_error(cli: Cli) -> None:
    failed = cli.fails("history", "list", "--where", "input.email")
    assert "where='input.email' is not a clause: it has no operator" in failed.stderr


def test_a_bulk_dry_run_counts_the_runs_the_clauses_match(cli: Cli) -> None:
    org = Organization.objects.default()
    make_run(org, "signup", status="failed", input={"email": "ada@acme.io", "note": "a, b"})
    make_run(org, "signup", status="failed", input={"email": "bob@acme.io"})
    counted = cli.ok(
        "history", "retry", "--where", "input.note=a, b", "--reason", "flaky", "--dry-run"
    )
    assert counted.json() == {"count": 1, "matching": 1, "job_id": None}
