"""A run that has not ended refreshes in place: its header, and on Steps the rows that changed.

Payloads are not drawn again every few seconds: the live part holds only what changed, and the
whole panel is drawn once more only when the run ends.
"""

from __future__ import annotations

import pytest
from django.test import Client

from history.models import Organization, Run, Step
from history.models.accounts import Role

from ..factories import make_run, member, waiting_run

pytestmark = pytest.mark.django_db
SECRET_INPUT = "a-payload-that-is-drawn-once"


@pytest.fixture
def running(org: Organization) -> Run:
    run = make_run(org, status="running", input={"note": SECRET_INPUT}, step_count=2)
    for position, status in ((0, "success"), (1, "running")):
        Step.objects.create(
            run=run,
            position=position,
            step_id=f"step:work#{position}",
            kind="action",
            status=status,
            input={"note": SECRET_INPUT},
            attempts=[{"attempt": 1}],
        )
    return run


def live(client: Client, run: Run, tab: str, rows: str = "") -> str:
    response = client.get(run.get_absolute_url(), {"tab": tab, "part": "live", "rows": rows})
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_of_a_run_going_on_polls_for_its_live_part_only(
    org: Organization, running: Run
) -> None:
    html = member(org, Role.VIEWER).get(running.get_absolute_url()).content.decode()
    assert 'data-live hx-get="' in html and "part=live" in html
    assert 'hx-trigger="every 3s" hx-target="#panel"' not in html, "no whole-panel polling"


def test_the_overview_live_part_is_the_header_without_payloads(
    org: Organization, running: Run
) -> None:
    part = live(member(org, Role.VIEWER), running, "overview")
    assert '<header class="run-header" id="run-header" hx-swap-oob="true">' in part
    assert "Running" in part and SECRET_INPUT not in part
    assert "step-list" not in part


def test_on_steps_only_rows_the_browser_lacks_or_has_out_of_date_come_back(
    org: Organization, running: Run
) -> None:
    client = member(org, Role.VIEWER)
    # The browser has both rows as they are: nothing but the header, count and pager.
    part = live(client, running, "steps", "0:success.1,1:running.1")
    assert 'id="step-0"' not in part and 'id="step-1"' not in part
    assert SECRET_INPUT not in part
    assert 'id="step-count" hx-swap-oob="true"' in part
    # Step 1 finished and step 2 started since: step 1's row replaces the browser's, step 2's
    # is added at the end of the list.
    Step.objects.filter(run=running, position=1).update(status="success", output={"ok": True})
    Step.objects.create(
        run=running, position=2, step_id="step:work#2", kind="action", status="running"
    )
    part = live(client, running, "steps", "0:success.1,1:running.1")
    assert 'id="step-0"' not in part
    assert 'id="step-1" data-step-state="success.1" hx-swap-oob="true"' in part
    added = part[part.index('<ol hx-swap-oob="beforeend:#step-list">') :]
    assert 'id="step-2" data-step-state="running.0">' in added


def test_a_browser_with_no_rows_yet_loses_the_empty_note(org: Organization, running: Run) -> None:
    part = live(member(org, Role.VIEWER), running, "steps")
    assert '<p id="steps-empty" hx-swap-oob="true"></p>' in part
    assert 'id="step-0"' in part and 'id="step-1"' in part


def test_rows_that_are_not_rows_are_ignored(org: Organization, running: Run) -> None:
    part = live(member(org, Role.VIEWER), running, "steps", "x:y,,:,-1:a,0:success.1:extra")
    assert 'id="step-0"' in part and 'id="step-1"' in part


def test_once_the_run_has_ended_the_whole_panel_comes_back_once(
    org: Organization, running: Run
) -> None:
    Run.objects.filter(pk=running.pk).update(status="success", output={"done": "at last"})
    response = member(org, Role.VIEWER).get(
        running.get_absolute_url(), {"tab": "overview", "part": "live"}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Retarget"] == "#panel" and response["HX-Reswap"] == "innerHTML"
    html = response.content.decode()
    assert "at last" in html and "data-live" not in html, "the ended run's panel polls no more"


def test_the_live_part_costs_a_fixed_number_of_queries(
    org: Organization, running: Run, django_assert_num_queries
) -> None:
    client = member(org, Role.VIEWER)
    live(client, running, "steps", "0:success.1")
    for position in range(2, 30):
        Step.objects.create(
            run=running,
            position=position,
            step_id=f"step:w#{position}",
            kind="action",
            status="success",
        )
    # Session, user, membership, the run, its page of steps.
    with django_assert_num_queries(5):
        live(client, running, "steps", "0:success.1")


def test_rows_with_digits_that_are_not_ascii_are_ignored(org: Organization, running: Run) -> None:
    assert 'id="step-0"' in live(member(org, Role.VIEWER), running, "steps", "²:x,٣:y")


def test_hook_forms_come_again_only_when_the_hooks_waiting_changed(org: Organization) -> None:
    run = waiting_run(org, "a" * 40)
    client = member(org, Role.OPERATOR)
    page = client.get(run.get_absolute_url()).content.decode()
    assert 'data-open-hooks="0"' in page
    same = client.get(run.get_absolute_url(), {"part": "live", "hooks": "0"}).content.decode()
    assert "hook-forms" not in same, "what the operator is typing stays"
    new = client.get(run.get_absolute_url(), {"part": "live", "hooks": ""}).content.decode()
    assert '<div id="hook-forms" data-open-hooks="0" hx-swap-oob="true">' in new
