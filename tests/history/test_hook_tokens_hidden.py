"""A viewer finds no hook token in any page or API answer, whatever the workflow did with it.

The workflow ``leaky-hook`` logs its token and resume URL, puts them in a span, raises them in
an error, passes them to a step and returns them. Every GET route of the URL conf is asked
for both of its runs, by a signed-in viewer and a viewer's API key.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from history.api.serializers import INCLUDES
from history.listing import LIST_INCLUDES
from history.models import Organization, Run
from history.models.accounts import Role
from history.views.detail import TABS
from history.views.payloads import RUN_FIELDS, STEP_FIELDS

from ..conftest import Stack, api_client
from ..factories import make_hook, make_run, member
from ..routes import routes
from ..workflows.test_worker import start, status_becomes

pytestmark = pytest.mark.django_db(transaction=True)

# what leaky-hook logs as a bearer credential (the project loads it, not us)
CHAT_TOKEN = "chat-secret-0123456789"


def urls_of(run: Run, other: Run) -> list[str]:
    """Every GET URL of the site that can show something of ``run`` (compared with ``other``)."""
    positions = list(run.steps.values_list("position", flat=True))
    found = []
    for route in routes():
        if "token" in route.params or route.name in ("history:run-action",):
            continue  # /hooks/<token>'s visitor holds the token; UI actions are POST only
        if route.name == "history:run-payload":
            found += [
                route.path({"run_id": run.public_id, "field": f}) + f"?format={fmt}"
                for f in RUN_FIELDS
                for fmt in ("json", "yaml")
            ]
        elif route.name == "history:step-payload":
            found += [
                route.path({"run_id": run.public_id, "position": p, "field": f}) + f"?format={fmt}"
                for p in positions
                for f in STEP_FIELDS
                for fmt in ("json", "yaml")
            ]
        elif route.name == "history:retry-from-step":
            found += [route.path({"run_id": run.public_id, "position": p}) for p in positions]
        elif route.name == "history:run-detail":
            found += [route.path({"run_id": run.public_id}) + f"?tab={tab}" for tab in TABS]
        elif route.name in ("history:compare", "history-api:run-compare"):
            found += [
                route.path({"run_id": x, "other_id": y, "pk": x, "other": y})
                for x, y in ((run.public_id, other.public_id), (run.public_id, run.public_id))
            ]
        elif route.name == "history:compare-picked":
            found.append(route.path({}) + f"?pick={run.public_id}&pick={other.public_id}")
        elif route.name in ("history-api:run-detail", "history-api:run-list"):
            base = route.path({"pk": run.public_id})
            parts = INCLUDES if route.name == "history-api:run-detail" else LIST_INCLUDES
            found += [base, f"{base}?include={','.join(parts)}", f"{base}?q={run.public_id}"]
            if route.name == "history-api:run-detail":
                found.append(f"{base}?format=md")
        elif not route.params:
            found.append(route.path({}) + f"?q={run.public_id}")
        else:
            values = {
                "pk": run.public_id,
                "run_id": run.public_id,
                "job_id": "bulk_" + "0" * 32,
                "slug": "leaky-hook",
                "endpoint": "signup",
                "name": "approval",
                "position": 0,
            }
            found.append(route.path(values))
    return found


def test_a_viewer_finds_no_hook_token_in_any_page_or_api_answer(
    stack: Stack, api: APIClient, org: Organization
) -> None:
    worker = stack.worker()
    waiting = start(api, "leaky-hook", {})
    failed = start(api, "leaky-hook", {"fail": True})
    status_becomes(failed, "failed")
    status_becomes(waiting, "waiting")
    tokens = {run.public_id: run.steps.get(kind="hook").token for run in (waiting, failed)}
    assert (
        APIClient()
        .post(f"/hooks/{tokens[waiting.public_id]}", {"approved": True}, format="json")
        .status_code
        == 200
    )
    status_becomes(waiting, "success")
    assert waiting.output["token"] == tokens[waiting.public_id]
    assert tokens[failed.public_id] in failed.error["message"]

    viewers = {"session": member(org, Role.VIEWER), "api key": api_client(org, Role.VIEWER)}
    operator = member(org, Role.OPERATOR)
    answered: dict[str, int] = {}
    for run, other in ((waiting, failed), (failed, waiting)):
        token = tokens[run.public_id]
        for url in urls_of(run, other):
            for who, client in viewers.items():
                for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                    response = client.get(url, **headers)
                    assert response.status_code < 500, (who, url, response.status_code)
                    body = response.content.decode()
                    assert token not in body.lower(), f"{who} sees the token at {url}"
                    # 200 for either viewer
                    answered[url] = min(answered.get(url, 999), response.status_code)
        trace_tab = operator.get(f"/history/{run.public_id}/?tab=trace").content.decode()
        assert token in trace_tab, "operators see what the workflow logged, token included"
        compared = operator.get(f"/history/compare/{run.public_id}/{other.public_id}/")
        assert token in compared.content.decode(), "a comparison shows what viewers must not see"
    shown = [url for url, status in answered.items() if status == 200]
    assert len(shown) > 60, sorted(answered.items())
    assert any("include=steps,usage,trace,trigger" in url for url in shown), (
        "the list's parts were checked too"
    )

    output = worker.output()
    assert "/hooks/[hidden from viewers]" in output, "the worker logged the resume URL, hidden"
    assert not any(token in output for token in tokens.values()), "worker output carries no token"
    assert CHAT_TOKEN not in output and "as Bearer [redacted]" in output, (
        "nor the secret the step logged"
    )


def test_only_operators_see_a_bare_token_and_a_commit_id_of_the_same_shape_stays(
    org: Organization,
) -> None:
    run = make_run(org, status="waiting")
    token, commit = "0123456789abcdef" * 2 + "01234567", "3f786850e387550fdab836ed7e6dc881de23001b"
    make_hook(run, token)
    message = f"deployed {commit}; code {token.upper()}, or open %2Fhooks%2F{token}"
    Run.objects.filter(pk=run.pk).update(error={"type": "X", "message": message})
    viewer = (
        api_client(org, Role.VIEWER).get(f"/api/runs/{run.public_id}").json()["error"]["message"]
    )
    assert (
        viewer == f"deployed {commit}; code [hidden from viewers], or open %2Fhooks%2F[hidden from "
        "viewers]"
    )
    operator = (
        api_client(org, Role.OPERATOR).get(f"/api/runs/{run.public_id}").json()["error"]["message"]
    )
    assert operator == message
