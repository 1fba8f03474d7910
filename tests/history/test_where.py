"""Search inside payloads: ``where=`` clauses and ``q`` over input and output, through the API."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from history.models import Organization, Run

from ..conftest import api_client
from ..factories import make_run, member

pytestmark = pytest.mark.django_db

ADA = {"email": "ada@acme.io", "user": {"name": "Ada", "age": 36}, "items": [{"sku": "A-1"}]}
BOB = {"email": "bob@acme.io", "user": {"name": "Bob", "age": 52}, "items": [{"sku": "B-2"}]}


CASES = [
    ("input.email=ada@acme.io", ["ada"]),
    ("input.email!=ada@acme.io", ["bob", "eve"]),
    ("output.score>80.5", ["ada"]),
    ("output.score>=80.5", ["ada", "bob"]),
    ("output.score<91", ["bob"]),
    ("output.score<=91", ["ada", "bob"]),
    ("output.score>=h", ["eve"]),  # text compares as text; numbers are not text
    ("output.score<b", []),
    ("input.email~ACME.IO", ["ada", "bob", "eve"]),
    ("input.email~ob@", ["bob"]),
    ("error.type~timeout", ["eve"]),
    ("input.user.name=Ada", ["ada"]),
    ("input.user.age>40", ["bob"]),
    ("output.tags=vip", ["ada"]),
    ("output.tags~late", ["bob"]),
    ("input.items.0.sku=A-1", ["ada"]),
    ("input.items.1.sku=A-1", ["eve"]),
    ("input.items.0.sku!=A-1", ["bob", "eve"]),
    ("output.ok=true", ["ada"]),
    ("output.ok=false", ["bob"]),
    ("output.ok=null", ["eve"]),
    ("output.ok!=null", ["ada", "bob"]),
    ('output.score="91"', []),  # quoted: the text 91, not the number
    ("output.score=91", ["ada"]),
    ("output.score=91.0", ["ada"]),
    ("input.nothing.here=1", []),  # a path that is not there: no match, no error
    ("input.nothing!=1", []),
    ("output.score.deeper>1", []),
]


def make_payload_runs(org: Organization) -> dict[str, Run]:
    return {
        "ada": make_run(
            org, input=ADA, output={"score": 91, "tags": ["urgent", "vip"], "ok": True}
        ),
        "bob": make_run(org, input=BOB, output={"score": 80.5, "tags": ["later"], "ok": False}),
        "eve": make_run(
            org,
            input={"email": "eve@acme.io", "items": [{"sku": "B-2"}, {"sku": "A-1"}]},
            output={"score": "high", "tags": [], "ok": None},
            error={"type": "TimeoutError", "message": "took too long"},
        ),
        "nil": make_run(org, input={}, output=None),
    }


@pytest.fixture
def runs(org: Organization) -> dict[str, Run]:
    return make_payload_runs(org)


def found(api: APIClient, *clauses: str, **params: Any) -> set[str]:
    response = api.get("/api/runs", {"where": list(clauses), **params})
    assert response.status_code == 200, response.json()
    return {run["id"] for run in response.json()["results"]}


def ids(runs: dict[str, Run], *names: str) -> set[str]:
    return {runs[name].public_id for name in names}


@pytest.mark.parametrize(("clause", "expected"), CASES)
def test_each_operator_and_path(
    api: APIClient, runs: dict[str, Run], clause: str, expected: list[str]
) -> None:
    assert found(api, clause) == ids(runs, *expected)


def test_clauses_are_anded_and_combine_with_the_other_filters(
    api: APIClient, runs: dict[str, Run]
) -> None:
    assert found(api, "input.email~acme", "output.score>=80") == ids(runs, "ada", "bob")
    assert found(api, "input.email~acme", "output.score>=85") == ids(runs, "ada")
    runs["bob"].status = "failed"
    runs["bob"].save()
    assert found(api, "input.email~acme", status="failed") == ids(runs, "bob")


@pytest.mark.parametrize(
    ("clause", "problem"),
    [
        ("input.email", "no operator"),
        ("body.email=x", "input, output or error"),
        ("input=x", "name a key"),
        ("input..email=x", "no empty key"),
        ("input.email=", "give a value"),
        ('input.email="ada', "close the quote"),
        ("input.score>true", "true, false and null take = or !="),
        ("input.email!x", "! must be followed by ="),
        ("input.score>1e999", "out of range"),
        ("input.items.1234567890=1", "at most 9 digits"),
        ('input.a="\\u0000"', "NUL"),
        ('input.a>"\\u0000"', "NUL"),
        ('input.a="\\ud800"', "lone surrogate"),
        ('input.a~"x\\udfff"', "lone surrogate"),
        ("input.x=1" + "0" * 400, "out of range"),
        ("input.tags.-1=3", "-1 is no array index"),
        ("input.tags.+1>2", "+1 is no array index"),
        ("input.discount 100%", "no operator"),  # the message echoes it: no %-formatting
        ("100%s=1", "input, output or error"),
    ],
)
def test_a_bad_clause_is_a_400_naming_it(
    api: APIClient, runs: dict[str, Run], clause: str, problem: str
) -> None:
    response = api.get("/api/runs", {"where": ["input.email~acme", clause]})
    assert response.status_code == 400
    [message] = response.json()["error"]["details"]["where"]
    assert repr(clause) in message and problem in message


def test_a_refused_run_id_with_a_percent_sign_is_a_400_in_the_api_and_the_page(
    api: APIClient, runs: dict[str, Run], org: Organization
) -> None:
    browser = member(org)
    for client in (api, browser):
        assert client.get("/api/runs", {"id": "run_%s%"}).status_code == 400
    page = browser.get("/history/", {"id": "run_%s%", "where": "x 5%"})
    assert page.status_code == 400 and "where=&#x27;x 5%&#x27;" in page.content.decode()


def test_another_organizations_run_with_the_same_payload_is_not_returned(
    api: APIClient, runs: dict[str, Run]
) -> None:
    acme = Organization.objects.create(slug="acme", name="Acme")
    theirs = make_run(acme, input=ADA)
    assert found(api, "input.email=ada@acme.io") == ids(runs, "ada")
    assert found(api_client(acme), "input.email=ada@acme.io") == {theirs.public_id}


def test_q_searches_inside_input_and_output(api: APIClient, runs: dict[str, Run]) -> None:
    assert found(api, q="ADA@acme") == ids(runs, "ada")
    assert found(api, q="urgent") == ids(runs, "ada")
    assert found(api, q="too long") == ids(runs, "eve")


def test_below_operator_hook_tokens_inside_payloads_are_not_searchable(org: Organization) -> None:
    token = "ab" * 20
    make_run(org, output={"resume": f"/hooks/{token}"}, input={"t": token})
    viewer, operator = api_client(org, "viewer"), api_client(org, "operator")
    for params in ({"q": "hooks/ab"}, {"where": "output.resume~hooks/ab"}):
        assert viewer.get("/api/runs", params).json()["results"] == []
        assert len(operator.get("/api/runs", params).json()["results"]) == 1
    # a whole token is no guess, and the rest of the text is still searched
    assert len(viewer.get("/api/runs", {"where": "output.resume~/hooks/"}).json()["results"]) == 1
    ordered = {"where": f"output.resume>=/hooks/{token[:20]}"}
    assert viewer.get("/api/runs", ordered).json()["results"] == []
    assert len(operator.get("/api/runs", ordered).json()["results"]) == 1


@pytest.mark.parametrize(
    "clause",
    [
        "input.it's=o'clock",
        'input.a"b=c',
        "input.a\\b~\\",
        "input.x=1; DROP TABLE history_run",
        "input.x=99999999999999999999999999",
        "input.x>-1e308",
        "input.ünï=çødé",
        "input.0=0",
        "input.items.²=1",
        "input.items.000000001.sku=1",
        "input." + "k." * 31 + "k=1",
        "input.x~" + "%" * 200,
    ],
)
def test_hostile_clauses_answer_and_never_fail(
    api: APIClient, runs: dict[str, Run], clause: str
) -> None:
    assert api.get("/api/runs", {"where": clause}).status_code == 200


def test_like_wildcards_are_plain_text(api: APIClient, org: Organization) -> None:
    percent = make_run(org, input={"note": "100% sure_ish"})
    make_run(org, input={"note": "100 sure ish"})
    assert found(api, "input.note~0% s") == {percent.public_id}
    assert found(api, "input.note~e_i") == {percent.public_id}


def test_the_schema_documents_where(api: APIClient) -> None:
    schema = api.get("/api/schema/", {"format": "json"}).json()
    [where] = [p for p in schema["paths"]["/api/runs"]["get"]["parameters"] if p["name"] == "where"]
    assert where["schema"]["type"] == "array" and where["explode"] is True
    assert "output.score>=80" in where["description"]
