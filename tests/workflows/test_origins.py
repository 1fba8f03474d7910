"""What a run records of how it started: each ``RunOrigin`` constructor, through the one
``store.create_run_txn``.
"""

from __future__ import annotations

import pytest
from django.db import transaction

from history.access import Actor
from history.models import ApiKey, Organization, Run
from history.models.accounts import Role
from workflows import store
from workflows.origins import RunOrigin
from workflows.registry import registry

pytestmark = pytest.mark.django_db


def started(record: Run) -> tuple[object, ...]:
    record.refresh_from_db()
    return (
        record.trigger_type,
        record.trigger_label,
        record.trigger_id,
        record.actor,
        record.actor_api_key_id,
        record.trigger_raw,
    )


def test_each_way_of_starting_a_run_records_its_trigger_label_actor_and_links(
    org: Organization,
) -> None:
    greeting = registry.workflow("greeting")
    key, _ = ApiKey.issue(org, "ci", Role.OPERATOR)
    script = Actor(org, Role.OPERATOR, "key:ci", api_key=key)
    with transaction.atomic():
        cli = store.create_run_txn(
            greeting, {"name": "A"}, RunOrigin.api(script, Run.Trigger.CLI, {"user_agent": "ks"})
        )
        child = store.create_run_txn(greeting, {"name": "B"}, RunOrigin.child(cli, "step:c#0"))
        tool = store.create_run_txn(
            greeting, {"name": "C"}, RunOrigin.child(cli, "step:t#1", tool_of="lead-researcher")
        )
        rerun = store.create_run_txn(
            greeting, cli.input, RunOrigin.rerun(cli, Actor(org, Role.ADMIN, "alice"))
        )
        fired = store.create_run_txn(
            greeting,
            {"name": "D"},
            RunOrigin.trigger(
                org.pk, "schedule", "nightly", "nightly:greeting", {"slot": "s"}, "trigger:nightly"
            ),
        )

    assert started(cli) == ("cli", "CLI", "", "key:ci", key.pk, {"user_agent": "ks"})
    assert started(child) == (
        "workflow",
        "Workflow · greeting",
        "",
        "key:ci",
        key.pk,
        {"parent_run_id": cli.public_id, "step_id": "step:c#0", "agent": None},
    ), "a child acts for whoever started its parent"
    assert started(tool)[:2] == ("workflow_tool", "Workflow tool · lead-researcher")
    assert started(rerun) == ("retry", "Retry", "", "alice", None, {"rerun_of": cli.public_id})
    assert started(fired) == (
        "schedule",
        "Schedule · nightly",
        "nightly:greeting",
        "trigger:nightly",
        None,
        {"slot": "s"},
    )
    assert (child.parent_id, tool.parent_id, rerun.rerun_of_id) == (cli.pk, cli.pk, cli.pk)
    project = org.default_project().pk
    assert {run.project_id for run in (cli, child, tool, rerun, fired)} == {project}


def test_an_origin_is_frozen_with_what_the_start_received() -> None:
    received = {"user_agent": "curl/8"}
    origin = RunOrigin(1, Run.Trigger.API, "API", raw=received)
    with pytest.raises(AttributeError):
        origin.label = "Webhook · forged"  # type: ignore[misc]
    with pytest.raises(TypeError):
        origin.raw["user_agent"] = "forged"  # type: ignore[index]
    received["user_agent"] = "changed later"
    assert origin.raw == {"user_agent": "curl/8"}
