"""``keystroke workflows pause|resume`` and the paused column, against the live server."""

from __future__ import annotations

import pytest

from history.models import AuditEvent, WorkflowPause
from history.models.accounts import Role

from .conftest import Cli, issue_key

pytestmark = pytest.mark.django_db(transaction=True)


def test_workflows_pause_list_and_resume(cli: Cli) -> None:
    paused = cli.ok("workflows", "pause", "greeting", "--reason", "CRM is down")
    assert paused.json()["paused"] is True and paused.json()["pause_reason"] == "CRM is down"
    assert paused.stderr.startswith("greeting is paused")
    table = cli.ok("workflows", "list", "--output", "table").stdout.splitlines()
    assert table[0].split()[:4] == ["SLUG", "KIND", "NAME", "PAUSED"]
    greeting = next(line for line in table if line.startswith("greeting "))
    assert "key:cli-tests" in greeting
    signup = next(line for line in table if line.startswith("signup-pipeline "))
    assert "key:cli-tests" not in signup

    again = cli.ok("workflows", "pause", "greeting", "--output", "table", "--field", "changed")
    assert again.stdout.strip() == "false" and "already paused" in again.stderr

    resumed = cli.ok("workflows", "resume", "greeting", "--field", "paused")
    assert resumed.stdout.strip() == "false" and "is resumed" in resumed.stderr
    assert not WorkflowPause.objects.exists()
    assert list(AuditEvent.objects.order_by("id").values_list("action", flat=True)) == [
        "workflow.pause",
        "workflow.resume",
    ]


def test_pausing_needs_an_operator_and_a_known_slug(cli: Cli) -> None:
    viewer = issue_key(Role.VIEWER, name="viewer")
    refused = cli.fails("workflows", "pause", "greeting", KEYSTROKE_API_KEY=viewer)
    assert "operator role" in refused.stderr
    unknown = cli.fails("workflows", "resume", "no-such-workflow")
    assert "No workflow or agent 'no-such-workflow'" in unknown.stderr
    assert cli.ok("agents", "list").json()[0]["paused"] is False
    assert not WorkflowPause.objects.exists()
