"""History's bulk pages without a browser: who sees the selection, what the preview refuses, the
job page and its polling, and other organizations' jobs."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from history.access import Actor
from history.models import AuditEvent, BulkJob, Organization, Run
from history.models.accounts import Role
from workflows.bulk import start_bulk

from ..factories import make_run, member

pytestmark = pytest.mark.django_db


def job_of(org: Organization, **filter: object) -> BulkJob:
    return start_bulk(Actor(org, Role.OPERATOR, "alice"), "cancel", filter, "cleanup")


def test_operators_get_a_checkbox_per_run_and_the_bulk_form_keeps_the_filters(
    org: Organization,
) -> None:
    run = make_run(org, status="waiting")
    page = member(org, Role.OPERATOR).get("/history/?status=waiting&slug=greeting").content.decode()
    assert f'name="pick" value="{run.public_id}" form="bulk"' in page
    assert '<input type="hidden" name="status" value="waiting">' in page
    assert '<input type="hidden" name="slug" value="greeting">' in page
    viewer = member(org, Role.VIEWER).get("/history/?status=waiting").content.decode()
    assert run.public_id in viewer
    # A viewer ticks rows only to compare two runs: no bulk action, no "all matching".
    assert "data-bulk-action" not in viewer and "data-select-all" not in viewer
    assert "data-select-page" not in viewer and 'name="back"' not in viewer


def test_the_preview_counts_selected_rows_or_every_run_matching_the_filter(
    org: Organization,
) -> None:
    picked, other = make_run(org, status="waiting"), make_run(org, status="waiting")
    make_run(org, status="success")
    operator = member(org, Role.OPERATOR)
    selected = operator.get("/history/bulk/new/", {"action": "cancel", "pick": [picked.public_id]})
    assert selected.status_code == 200
    assert selected.context["preview"].count == 1
    assert json.loads(selected.context["filter_json"]) == {"id": [picked.public_id]}
    everything = operator.get(
        "/history/bulk/new/", {"action": "cancel", "all": "1", "slug": "greeting", "pick": "x"}
    )
    assert (everything.context["preview"].count, everything.context["preview"].matching) == (2, 3)
    assert "the other 1 is left as it is" in everything.content.decode()
    assert operator.get("/history/bulk/count/", {"slug": "greeting"}).content == b"3"
    assert not BulkJob.objects.exists() and other.status == "waiting"


def test_all_matching_keeps_an_id_filter_of_the_list(org: Organization) -> None:
    one = make_run(org, status="waiting")
    for _ in range(5):
        make_run(org, status="waiting")
    operator = member(org, Role.OPERATOR)
    listing = operator.get("/history/", {"id": one.public_id}).content.decode()
    assert f'<input type="hidden" name="id" value="{one.public_id}"' in listing, (
        "the bulk form carries the list's id filter"
    )
    assert operator.get("/history/bulk/count/", {"id": one.public_id}).content == b"1"
    everything = operator.get(
        "/history/bulk/new/", {"action": "cancel", "all": "1", "id": one.public_id}
    )
    assert everything.context["preview"].count == 1


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ({"action": "cancel"}, "Select runs first"),
        ({"action": "nuke", "pick": "run_" + "0" * 32}, "use cancel or retry"),
        ({"action": "cancel", "all": "1", "status": "nope"}, "nope"),
        ({"action": "cancel", "pick": "run_x"}, "is not a run id"),
    ],
)
def test_a_preview_that_cannot_be_made_says_why(
    org: Organization, query: dict[str, str], says: str
) -> None:
    response = member(org, Role.OPERATOR).get("/history/bulk/new/", query)
    assert response.status_code == 400
    assert says in response.content.decode()


def test_starting_needs_a_reason_shown_next_to_the_field_then_starts_one_audited_job(
    org: Organization,
) -> None:
    make_run(org, status="waiting")
    operator = member(org, Role.OPERATOR, name="alice")
    form = {"action": "cancel", "filter": json.dumps({"status": ["waiting"]})}
    refused = operator.post("/history/bulk/new/", form | {"reason": " "})
    assert refused.status_code == 400
    assert 'id="bulk-reason-error"' in refused.content.decode()
    assert not BulkJob.objects.exists()
    started = operator.post("/history/bulk/new/", form | {"reason": "bad deploy"})
    job = BulkJob.objects.get()
    assert started.status_code == 302 and started["Location"] == job.get_absolute_url()
    assert (job.created_by, job.count, job.reason) == ("alice", 1, "bad deploy")
    assert AuditEvent.objects.get().action == "runs.bulk_cancel"


def test_the_job_page_polls_while_the_job_runs_and_stops_once_it_ended(
    org: Organization, django_assert_num_queries
) -> None:
    make_run(org, status="waiting")
    job = job_of(org)
    viewer = member(org, Role.VIEWER)
    url = f"/history/bulk/{job.public_id}/"
    viewer.get(url)  # the session and membership, read once
    with django_assert_num_queries(5):  # session, user, membership, job, audit events
        active = viewer.get(f"{url}?partial=progress").content.decode()
    assert 'hx-trigger="every 1s"' in active and "Stop</button>" not in active
    assert "runs.bulk_cancel" in active and "&quot;reason&quot;: &quot;cleanup&quot;" in active
    assert "address" not in active, "the client's address is for the admin"
    operator = member(org, Role.OPERATOR)
    assert "Stop</button>" in operator.get(url).content.decode()
    assert operator.post(f"{url}stop/").status_code == 302
    ended = operator.get(url).content.decode()
    assert "hx-trigger" not in ended.split('data-bulk-job="')[1].split(">")[0]
    assert "Stopped" in ended and "runs.bulk_stop" in ended
    assert viewer.get("/history/bulk/").status_code == 200


def test_viewers_may_not_preview_count_or_stop(org: Organization) -> None:
    make_run(org, status="waiting")
    job = job_of(org)
    viewer = member(org, Role.VIEWER)
    assert viewer.get("/history/bulk/new/", {"action": "cancel", "all": "1"}).status_code == 403
    assert viewer.get("/history/bulk/count/").status_code == 403
    form = {"action": "cancel", "filter": "{}", "reason": "mine"}
    assert viewer.post("/history/bulk/new/", form).status_code == 403
    assert viewer.post(f"/history/bulk/{job.public_id}/stop/").status_code == 403
    job.refresh_from_db()
    assert job.status == "queued" and BulkJob.objects.count() == 1


def test_another_organizations_job_is_a_404_and_a_malformed_id_a_400(org: Organization) -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")
    make_run(acme, status="waiting")
    theirs = job_of(acme)
    operator = member(org, Role.OPERATOR)
    assert operator.get(f"/history/bulk/{theirs.public_id}/").status_code == 404
    assert operator.post(f"/history/bulk/{theirs.public_id}/stop/").status_code == 404
    assert theirs.public_id not in operator.get("/history/bulk/").content.decode()
    assert operator.get("/history/bulk/nope/").status_code == 400
    assert Run.objects.get().status == "waiting" and BulkJob.objects.get().status == "queued"
    assert Client().get(f"/history/bulk/{theirs.public_id}/").status_code == 302  # sign in first


def test_a_previewed_filter_that_is_not_json_we_accept_is_a_400(org: Organization) -> None:
    operator = member(org, Role.OPERATOR)
    for text in ("[" * 5000, '{"status": NaN}', "{"):
        page = operator.get("/history/bulk/new/", {"action": "cancel", "filter": text})
        assert page.status_code == 400 and "JSON" in page.content.decode(), text[:10]
