"""``keystroke history compare`` as a subprocess against a live server."""

from __future__ import annotations

import pytest

from history.models import Organization
from history.models.accounts import Role

from ..factories import add_steps, make_run
from .conftest import Cli, issue_key

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_prints_the_comparison_as_json_or_as_a_table(cli: Cli) -> None:
    org = Organization.objects.default()
    worked = make_run(org, "signup", status="success", input={"plan": "pro"}, output={"ok": 1})
    failed = make_run(org, "signup", status="failed", input={"plan": "team"})
    add_steps(worked, ("lookup", "success", 1), ("mail", "success", "sent"))
    add_steps(failed, ("lookup", "success", 1), ("mail", "failed", "down"))

    viewer = issue_key(Role.VIEWER, "viewer")
    body = cli.ok(
        "history", "compare", worked.public_id, failed.public_id, KEYSTROKE_API_KEY=viewer
    )
    data = body.json()
    assert data["first_divergence"] == "step:mail#0"
    assert data["input"] == [{"path": "input.plan", "change": "changed", "a": "pro", "b": "team"}]
    assert [s["diverges"] for s in data["steps"]] == [False, True]

    table = cli.ok(
        "history", "compare", worked.public_id, failed.public_id, "--output", "table"
    ).stdout
    rows = [line.split() for line in table.splitlines()]
    assert ["input.plan", "changed", "pro", "team"] in rows
    assert "> step:mail#0" in table and "first divergence: step:mail#0" in table
    assert ["step:lookup#0", "success", "success", "1000", "1000", "same"] in rows

    acme = Organization.objects.create(slug="acme", name="Acme")
    theirs = make_run(acme, status="success")
    refused = cli.fails("history", "compare", worked.public_id, theirs.public_id)
    assert f"No run {theirs.public_id} in your organization." in refused.stderr
