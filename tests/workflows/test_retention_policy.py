"""Retention policies: KEYSTROKE_RETENTION, KEYSTROKE_DELIVERY_RETENTION and ``retention=`` are
checked early.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from pydantic import BaseModel

from workflows import retention
from workflows.registry import Registry, registry
from workflows.sdk import define_agent, define_workflow

DAY = timedelta(days=1)


class Empty(BaseModel):
    pass


async def _nothing(input: Empty, ctx: Any) -> Empty:
    return Empty()


@pytest.mark.parametrize(
    ("value", "policy"),
    [
        ("", {}),
        (
            "success=30d,failed=90d,canceled=30d",
            {"success": 30 * DAY, "failed": 90 * DAY, "canceled": 30 * DAY},
        ),
        (" Success = 12h , failed=forever ", {"success": timedelta(hours=12), "failed": None}),
        ("30d", {"success": 30 * DAY, "failed": 30 * DAY, "canceled": 30 * DAY}),
        ("forever", {"success": None, "failed": None, "canceled": None}),
        (
            {"success": "7d", "failed": timedelta(weeks=2), "canceled": None},
            {"success": 7 * DAY, "failed": 14 * DAY, "canceled": None},
        ),
        (None, {}),
    ],
)
def test_it_reads_the_policy_forms(value: Any, policy: dict[str, Any]) -> None:
    assert retention.parse_retention(value, "KEYSTROKE_RETENTION") == policy


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("succes=30d", r"'succes' is not a finished status.*success, failed or canceled"),
        ("running=1d", r"'running' is not a finished status.*never deleted"),
        ("success=30", r"'30' is not a duration.*30d"),
        ("success=soon", r"'soon' is not a duration"),
        ("success", r"'success' is not status=duration"),
        ("success=0d", r"success.*longer than zero"),
        ("success=1d,success=2d", r"success is given twice"),
        (["success"], r"a string such as"),
    ],
)
def test_it_refuses_a_bad_policy_saying_what_to_write(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=f"KEYSTROKE_RETENTION=.*{message}"):
        retention.parse_retention(value, "KEYSTROKE_RETENTION")


@pytest.mark.django_db
def test_it_refuses_a_bad_KEYSTROKE_RETENTION_at_start_up_naming_the_variable(
    settings: Any,
) -> None:
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "RETENTION": "success=30 days"}
    with pytest.raises(
        SystemCheckError, match=r"workflows\.E010.*KEYSTROKE_RETENTION='success=30 days'"
    ):
        call_command("check", tags=["settings"])
    with pytest.raises(ImproperlyConfigured, match="KEYSTROKE_RETENTION"):
        retention.prune()


@pytest.mark.django_db
def test_it_refuses_a_delivery_window_shorter_than_a_day(settings: Any) -> None:
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "DELIVERY_RETENTION": "1h"}
    with pytest.raises(
        SystemCheckError, match=r"workflows\.E011.*KEYSTROKE_DELIVERY_RETENTION='1h'.*24h"
    ):
        call_command("check", tags=["settings"])


def test_it_passes_a_good_configuration(settings: Any) -> None:
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "RETENTION": "success=30d"}
    from workflows.checks import check_readable_settings

    assert check_readable_settings(None) == []


@pytest.mark.parametrize("define", ["workflow", "agent"])
def test_it_refuses_a_bad_retention_at_definition(define: str, scratch_registry: Registry) -> None:
    with pytest.raises(
        ValueError, match=r"define_\w+\(slug='bad-keep'\), retention='succes=1d'.*finished status"
    ):
        if define == "workflow":
            define_workflow(
                slug="bad-keep", input=Empty, output=Empty, run=_nothing, retention="succes=1d"
            )
        else:
            define_agent(slug="bad-keep", model="openai:gpt-4o-mini", retention="succes=1d")
    assert registry.workflow("bad-keep") is None


def test_it_keeps_a_targets_retention_and_follows_the_global_policy_by_default(
    scratch_registry: Registry,
) -> None:
    keep = define_workflow(
        slug="keep-week", input=Empty, output=Empty, run=_nothing, retention="success=7d"
    )
    agent = define_agent(
        slug="keep-agent", model="openai:gpt-4o-mini", retention={"failed": "forever"}
    )
    plain = define_workflow(slug="keep-plain", input=Empty, output=Empty, run=_nothing)
    assert keep.retention == {"success": 7 * DAY}
    assert agent.retention == {"failed": None}
    assert plain.retention == {}
    assert scratch_registry.workflow("keep-week") is keep
