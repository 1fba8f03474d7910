"""The "Waiting on people" view: every open hook of the organization, answered by operators."""

from __future__ import annotations

import pytest

from history.models import Organization
from history.models.accounts import Role

from ..factories import member, waiting_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def acme() -> Organization:
    return Organization.objects.create(slug="acme", name="Acme")


def test_it_lists_the_organizations_open_hooks_and_a_viewer_gets_no_token(
    org: Organization, acme: Organization
) -> None:
    ours = waiting_run(org, "a" * 40)
    answered = waiting_run(org, "b" * 40, status="success")
    theirs = waiting_run(acme, "c" * 40)
    page = member(org, Role.VIEWER).get("/history/waiting-on-people/")
    assert page.status_code == 200
    text = page.content.decode()
    assert ours.public_id in text and "approval" in text
    assert answered.public_id not in text and theirs.public_id not in text
    assert "a" * 40 not in text and "Answer" not in text


def test_an_operator_answers_in_the_runs_overview_without_its_token(org: Organization) -> None:
    run = waiting_run(org, "a" * 40)
    text = member(org, Role.OPERATOR).get("/history/waiting-on-people/").content.decode()
    assert f'href="/history/{run.public_id}/?tab=overview#hook-0"' in text
    assert "a" * 40 not in text


def test_with_nothing_waiting_it_says_where_hooks_come_from(org: Organization) -> None:
    text = member(org, Role.VIEWER).get("/history/waiting-on-people/").content.decode()
    assert "No run waits on a person" in text
    assert 'href="/history/waiting-on-people/"' in text  # in the sidebar
