"""GET /api/runs and GET /api/runs/<id>: auth, organization scoping, filters, errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from history.models import ApiKey, Organization, Run, Step
from history.models.accounts import Role

from ..conftest import api_client
from ..factories import make_run

pytestmark = pytest.mark.django_db


@pytest.fixture
def stranger() -> Organization:
    return Organization.objects.create(slug="acme", name="Acme")


def test_it_requires_an_api_key() -> None:
    response = APIClient().get("/api/runs")
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "not_authenticated"
    assert "Bearer" in response["WWW-Authenticate"]


def test_it_refuses_unknown_and_revoked_keys(org: Organization) -> None:
    key, raw = ApiKey.issue(org, "old")
    key.revoked_at = key.created_at
    key.save()
    for header in (f"Bearer {raw}", "Bearer ks_not-a-key"):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=header)
        assert client.get("/api/runs").status_code == 401


def test_it_accepts_the_x_api_key_header_and_records_last_use(org: Organization) -> None:
    key, raw = ApiKey.issue(org, "header")
    assert key.hashed_key != raw and raw not in key.hashed_key
    response = APIClient().get("/api/runs", HTTP_X_API_KEY=raw)
    assert response.status_code == 200
    key.refresh_from_db()
    assert key.last_used_at is not None


def test_it_lists_only_the_callers_organization_newest_first(
    api: APIClient, org: Organization, stranger: Organization
) -> None:
    older, newer = make_run(org), make_run(org, "signup-pipeline")
    make_run(stranger)
    response = api.get("/api/runs")
    assert response.status_code == 200
    assert [r["id"] for r in response.json()["results"]] == [newer.public_id, older.public_id]


def test_another_organizations_run_is_not_found(api: APIClient, stranger: Organization) -> None:
    theirs = make_run(stranger)
    response = api.get(f"/api/runs/{theirs.public_id}")
    assert response.status_code == 404
    assert api.post(f"/api/runs/{theirs.public_id}/cancel").status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "queued"


def test_a_malformed_run_id_is_a_bad_request(api: APIClient) -> None:
    response = api.get("/api/runs/run_nothex")
    assert response.status_code == 400
    assert "run_<32 hex digits>" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=failed", ["b"]),
        ("status=failed&status=success", ["c", "b"]),
        ("workflow=greeting", ["c", "a"]),
        ("kind=workflow&trigger=cli", ["c"]),
        ("q=disk full", ["b"]),
        ("project=default", ["c", "b", "a"]),
        ("trigger=webhook", ["b"]),
        ("trigger_id=signup", ["b"]),
        ("trigger_id=signup:signup-pipeline", ["b"]),
        ("trigger_id=sign", []),
    ],
)
def test_it_filters_runs(
    api: APIClient, org: Organization, query: str, expected: list[str]
) -> None:
    runs = {
        "a": make_run(org, "greeting", status="running"),
        "b": make_run(
            org,
            "signup-pipeline",
            status="failed",
            error={"type": "X", "message": "Disk full"},
            trigger_type="webhook",
            trigger_id="signup:signup-pipeline",
        ),
        "c": make_run(org, "greeting", status="success", trigger_type="cli"),
    }
    names = {run.public_id: name for name, run in runs.items()}
    response = api.get(f"/api/runs?{query}")
    assert response.status_code == 200, response.content
    assert [names[r["id"]] for r in response.json()["results"]] == expected


@pytest.mark.parametrize(
    "query",
    [
        "status=exploded",
        "kind=robot",
        "created_after=yesterday",
        "cursor=zzz",
        "include=everything",
    ],
)
def test_bad_filter_values_are_a_400_never_an_unfiltered_list(
    api: APIClient, org: Organization, query: str
) -> None:
    make_run(org)
    response = api.get(f"/api/runs?{query}")
    assert response.status_code == 400
    assert "results" not in response.json()
    assert response.json()["error"]["message"]


def test_it_paginates_with_a_cursor(api: APIClient, org: Organization) -> None:
    ids = [make_run(org).public_id for _ in range(5)][::-1]
    first = api.get("/api/runs?limit=2").json()
    second = api.get(first["next"]).json()
    assert [r["id"] for r in first["results"]] + [r["id"] for r in second["results"]] == ids[:4]


def test_it_returns_the_envelope_with_steps_when_asked(api: APIClient, org: Organization) -> None:
    run = make_run(org, status="success", output={"message": "hi"}, trigger_label="API")
    Step.objects.create(
        run=run,
        position=0,
        step_id="step:greet#0",
        kind="action",
        status="success",
        output={"m": 1},
    )
    body = api.get(f"/api/runs/{run.public_id}?include=steps,trigger").json()
    assert {
        "id",
        "kind",
        "slug",
        "status",
        "input",
        "output",
        "error",
        "trigger",
        "actor",
        "project",
        "parent_id",
        "attempt",
        "created_at",
        "started_at",
        "finished_at",
        "queue_ms",
        "duration_ms",
        "total_cost",
        "models",
        "services",
        "step_count",
    } <= body.keys()
    assert body["trigger"] == {"type": "api", "label": "API", "id": "", "raw": {}}
    assert [(s["id"], s["status"], s["attempts"]) for s in body["steps"]] == [
        ("step:greet#0", "success", 1)
    ]
    assert "steps" not in api.get(f"/api/runs/{run.public_id}").json()


def test_a_viewer_can_read_but_not_act(org: Organization) -> None:
    viewer = api_client(org, Role.VIEWER)
    run = make_run(org)
    assert viewer.get(f"/api/runs/{run.public_id}").status_code == 200
    assert viewer.post(f"/api/runs/{run.public_id}/cancel").status_code == 403
    assert viewer.post("/api/workflows/greeting", {"name": "x"}, format="json").status_code == 403
    run.refresh_from_db()
    assert run.status == "queued"
    assert not Run.objects.exclude(pk=run.pk).exists()


def test_a_forged_cursor_position_is_a_400(api: APIClient, org: Organization) -> None:
    import base64

    make_run(org)
    forged = base64.b64encode(b"p=notadate").decode()
    response = api.get(f"/api/runs?cursor={forged}")
    assert response.status_code == 400 and "cursor" in response.json()["error"]["details"]


def test_a_list_carries_previews_so_forty_runs_of_one_mib_answer_under_a_megabyte(
    api: APIClient, org: Organization
) -> None:
    big = {"rows": ["x" * 1000] * 1048}  # a little over 1 MiB of JSON
    runs = Run.objects.bulk_create(
        [
            Run(
                organization=org,
                project=org.default_project(),
                slug="greeting",
                input=big,
                output={"ok": n},
            )
            for n in range(40)
        ]
    )
    response = api.get("/api/runs?limit=40&include=steps,usage,trace,trigger")
    assert response.status_code == 200
    assert len(response.content) < 1_000_000, len(response.content)
    listed = response.json()["results"]
    assert len(listed) == 40
    first = listed[0]
    assert first["input"]["truncated"] and len(first["input"]["preview"]) == 1024
    assert first["input"]["size"] > 1024 * 1024 and first["input"]["preview"].startswith(
        '{"rows": ["xxx'
    )
    assert first["output"] == {"preview": '{"ok": 39}', "size": 10, "truncated": False}
    whole = api.get(first["api_url"].removeprefix("http://testserver")).json()
    assert whole["id"] == runs[-1].public_id and whole["input"] == big


def test_a_list_serves_its_included_parts_in_the_same_queries_for_any_number_of_runs(
    api: APIClient, org: Organization, django_assert_num_queries: Any
) -> None:
    def add_runs(count: int) -> None:
        for _ in range(count):
            run = make_run(
                org,
                status="failed",
                error={"type": "X", "message": "m" * 5000, "traceback": "t" * 9000},
            )
            Step.objects.bulk_create(
                [
                    Step(
                        run=run,
                        position=p,
                        step_id=f"step:greet#{p}",
                        kind="action",
                        status="success",
                        input={"p": p},
                        output={"big": "y" * 5000},
                    )
                    for p in range(30)
                ]
            )

    add_runs(2)
    api.get("/api/runs")  # records the key's first use, a write later requests in the minute skip
    # the key, the runs, then steps, usage, spans and logs of the whole page
    with django_assert_num_queries(6):
        small = api.get("/api/runs?include=steps,usage,trace").json()["results"]
    add_runs(38)
    with django_assert_num_queries(6):
        large = api.get("/api/runs?include=steps,usage,trace").json()["results"]
    assert len(small) == 2 and len(large) == 40
    run = large[0]
    assert len(run["steps"]) == 20, "a list shows the first steps; the run's own URL has all 30"
    assert run["steps"][0]["output"]["size"] == len('{"big": "' + "y" * 5000 + '"}')
    assert run["error"] == {"type": "X", "message": "m" * 1024, "step_id": None}
    assert "traceback" not in json.dumps(run)


def test_a_list_refuses_whole_conversations_and_caps_pages_with_parts(
    api: APIClient, org: Organization
) -> None:
    response = api.get("/api/runs?include=messages")
    assert response.status_code == 400
    assert "GET /api/runs/<id>?include=" in response.json()["error"]["details"]["include"][0]
    Run.objects.bulk_create(
        [Run(organization=org, project=org.default_project(), slug="greeting") for _ in range(60)]
    )
    assert len(api.get("/api/runs?limit=500").json()["results"]) == 60
    assert len(api.get("/api/runs?limit=500&include=steps").json()["results"]) == 50
