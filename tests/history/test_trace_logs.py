"""The Trace tab's logs: the user's own code by default, the framework's only from WARNING up,
and filters by step, kind, status and level."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from history.models import Organization, Run

from ..factories import member
from .trace_runs import investigated_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(org: Organization) -> Client:
    return member(org, name="alice")


@pytest.fixture
def run(org: Organization) -> Run:
    return investigated_run(org)


def messages(client: Client, run: Run, query: str = "") -> list[str]:
    text = client.get(f"/history/{run.public_id}/trace/logs/?{query}").content.decode()
    return re.findall(r'<span class="logger">[^<]*</span>: ([^<]*)</li>', text)


def test_it_hides_framework_logs_below_warning_by_default(alice: Client, run: Run) -> None:
    assert messages(alice, run) == [
        "starting",
        "CRM slow",
        "No hostname was supplied",
        "found acme",
    ]
    tab = alice.get(f"/history/{run.public_id}/?tab=trace").content.decode()
    assert "No hostname was supplied" in tab and "connected to broker" not in tab


def test_a_level_shows_every_loggers_records_from_that_level(alice: Client, run: Run) -> None:
    every = [
        "starting",
        "CRM slow",
        "connected to broker",
        "No hostname was supplied",
        "found acme",
        "HTTP Request: GET https://crm.example",
    ]
    assert messages(alice, run, "level=info") == every
    # DEBUG records are never stored (the worker keeps INFO up), so debug shows what info does.
    assert messages(alice, run, "level=debug") == every
    assert messages(alice, run, "level=warning") == ["CRM slow", "No hostname was supplied"]
    tab = alice.get(f"/history/{run.public_id}/?tab=trace&level=info").content.decode()
    assert "connected to broker" in tab


def test_it_filters_by_step_kind_and_status(alice: Client, run: Run) -> None:
    lookup = ["CRM slow", "No hostname was supplied", "found acme"]
    assert messages(alice, run, "step=lookup-company") == lookup
    assert messages(alice, run, "step=step:lookup-company%230") == lookup
    assert messages(alice, run, "step=sleep") == []
    assert messages(alice, run, "kind=action") == lookup
    assert messages(alice, run, "kind=hook") == []
    assert messages(alice, run, "status=failed") == ["CRM slow", "No hostname was supplied"]
    assert messages(alice, run, "status=success") == ["starting", "found acme"]
    assert messages(alice, run, "status=failed&level=info") == [
        "CRM slow",
        "connected to broker",
        "No hostname was supplied",
    ]


@pytest.mark.parametrize("query", ["level=loud", "kind=banana", "status=maybe", "log_after=never"])
def test_a_filter_that_is_not_one_is_a_400(alice: Client, run: Run, query: str) -> None:
    assert alice.get(f"/history/{run.public_id}/trace/logs/?{query}").status_code == 400
    assert alice.get(f"/history/{run.public_id}/?tab=trace&{query}").status_code == 400
