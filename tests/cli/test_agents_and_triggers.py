"""``agents prompt`` and ``triggers``: the requests they send (a stub server), and against the real
one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from .conftest import Cli, StubServer, base_env, issue_key, run_of

RUN_ID = "run_" + "a" * 32
FINISHED = {
    "id": RUN_ID,
    "kind": "agent",
    "slug": "researcher",
    "status": "success",
    "output": {"answer": "42"},
    "error": None,
    "trigger": {"type": "cli", "label": "CLI"},
    "duration_ms": 2500,
    "total_cost": "0.012300",
    "step_count": 2,
    "steps": [
        {"id": "step:llm#0", "kind": "llm", "status": "success"},
        {"id": "step:search#0", "kind": "tool", "status": "success"},
    ],
}
TRIGGER = {
    "slug": "nightly",
    "type": "webhook",
    "workflow": "three-steps",
    "enabled": True,
    "url": "http://x/t/abc",
}


@pytest.fixture
def stubbed(stub_server: StubServer, tmp_path: Path) -> Cli:
    return Cli(
        base_env(tmp_path) | {"KEYSTROKE_URL": stub_server.url, "KEYSTROKE_API_KEY": "ks_stub"}
    )


def test_agents_prompt_starts_a_run_and_prints_its_output(
    stubbed: Cli, stub_server: StubServer
) -> None:
    started = {"run_id": RUN_ID, "status": "queued", "url": f"http://x/history/{RUN_ID}/"}
    stub_server.routes |= {
        ("POST", "/api/agents/researcher/prompt"): (202, started),
        ("GET", f"/api/runs/{RUN_ID}"): (200, FINISHED),
    }
    answered = stubbed.ok("agents", "prompt", "researcher", "--message", "What is the answer?")
    assert answered.json() == {"answer": "42"}
    assert "step:search#0" in answered.stderr
    first = stub_server.requests[0]
    assert (first["method"], first["path"], first["body"]) == (
        "POST",
        "/api/agents/researcher/prompt",
        {"message": "What is the answer?"},
    )
    assert first["headers"]["Authorization"] == "Bearer ks_stub"

    summary = stubbed.ok("agents", "prompt", "researcher", "-m", "again", "--summary").stdout
    assert summary == f"{RUN_ID} researcher success in 2.5 s (2 steps, $0.0123) trigger CLI\n"
    assert stubbed.ok("agents", "prompt", "researcher", "-m", "hi", "--no-wait").json() == started
    assert stubbed.fails("agents", "prompt", "researcher").code == 1, "--message is required"


def test_a_failed_agent_run_exits_1(stubbed: Cli, stub_server: StubServer) -> None:
    failed = FINISHED | {
        "status": "failed",
        "output": None,
        "error": {"type": "ToolError", "message": "search down"},
    }
    stub_server.routes |= {
        ("POST", "/api/agents/researcher/prompt"): (
            202,
            {"run_id": RUN_ID, "status": "queued", "url": "u"},
        ),
        ("GET", f"/api/runs/{RUN_ID}"): (200, failed),
    }
    result = stubbed.fails("agents", "prompt", "researcher", "-m", "hi")
    assert result.stderr.endswith(f"error: run {RUN_ID} failed: ToolError: search down\n")


def test_triggers_commands_call_their_routes(stubbed: Cli, stub_server: StubServer) -> None:
    stub_server.routes |= {
        ("GET", "/api/triggers"): (200, {"results": [TRIGGER]}),
        ("GET", "/api/triggers/nightly"): (200, TRIGGER),
        ("POST", "/api/triggers/nightly/invoke"): (
            202,
            {"run_id": RUN_ID, "status": "queued", "url": "u"},
        ),
        ("POST", "/api/triggers/nightly/disable"): (200, TRIGGER | {"enabled": False}),
        ("POST", "/api/triggers/nightly/enable"): (200, TRIGGER),
    }
    assert stubbed.ok("triggers", "list").json() == [TRIGGER]
    table = stubbed.ok("triggers", "list", "-o", "table").stdout.splitlines()
    assert table[0].split() == ["SLUG", "TYPE", "WORKFLOW", "ENABLED", "URL"] and table[
        1
    ].startswith("nightly")
    assert stubbed.ok("triggers", "url", "nightly").stdout == "http://x/t/abc\n"
    assert (
        stubbed.ok("triggers", "invoke", "nightly", "--input", '{"day": "mon"}').json()["run_id"]
        == RUN_ID
    )
    assert stubbed.ok("triggers", "disable", "nightly").json()["enabled"] is False
    assert stubbed.ok("triggers", "enable", "nightly").json()["enabled"] is True
    sent = [(r["method"], r["path"], r["body"]) for r in stub_server.requests]
    assert ("POST", "/api/triggers/nightly/invoke", {"day": "mon"}) in sent
    assert ("POST", "/api/triggers/nightly/disable", {}) in sent and (
        "POST",
        "/api/triggers/nightly/enable",
        {},
    ) in sent

    count = len(stub_server.requests)
    assert stubbed.fails("triggers", "invoke", "nightly", "--input", "{oops").stderr.startswith(
        "error: --input"
    )
    assert len(stub_server.requests) == count, "bad input is refused before anything is sent"
    missing = stubbed.fails("triggers", "url", "nope")
    assert missing.stderr == "error: no route /api/triggers/nope\n", (
        "the server's own message is shown"
    )


@pytest.mark.django_db(transaction=True)
def test_unknown_agents_and_triggers_exit_1_on_the_real_server(cli: Cli) -> None:
    assert cli.fails("agents", "prompt", "no-such-agent", "-m", "hi").stderr.startswith("error: ")
    assert cli.fails("triggers", "url", "no-such-trigger").stderr.startswith("error: ")


@pytest.mark.django_db(transaction=True)
def test_triggers_list_url_invoke_disable_enable_against_the_live_server(
    cli: Cli, live_server: Any
) -> None:
    from history.models import AuditEvent, Run

    rows = {row["slug"]: row for row in cli.ok("triggers", "list").json()}
    assert rows["weekly:weekly-sales-summary"]["type"] == "schedule"
    assert rows["weekly:weekly-sales-summary"]["next_fire_at"]
    assert rows["signup:signup-pipeline"]["workflow"] == "signup-pipeline"

    url = cli.ok("triggers", "url", "signup").stdout.strip()
    path = url.split("://", 1)[1].split("/", 1)[1]
    assert path.startswith("triggers/signup?token=")
    body = {"type": "signup", "name": "Ada", "email": "ada@example.com"}
    delivered = httpx.post(f"{live_server.url}/{path}", json=body)
    assert delivered.status_code == 202, delivered.text
    run = run_of(delivered.json()["run_id"])
    assert (run.trigger_type, run.trigger_label, run.input) == (
        "webhook",
        "Webhook · signup",
        {"name": "Ada", "email": "ada@example.com"},
    )

    invoked = cli.ok("triggers", "invoke", "weekly").json()
    assert run_of(invoked["run_id"]).trigger_id == "weekly:weekly-sales-summary"
    assert cli.ok("triggers", "disable", "weekly").json()["enabled"] is False
    refused = cli.fails("triggers", "invoke", "weekly")
    assert "disabled" in refused.stderr
    assert cli.ok("triggers", "enable", "weekly").json()["enabled"] is True
    assert list(
        AuditEvent.objects.filter(target="weekly").values_list("action", flat=True).order_by("id")
    ) == ["trigger.disable", "trigger.enable"]
    assert Run.objects.filter(trigger_type="schedule").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_senders_secret_is_set_from_stdin_shown_by_url_and_rotated(
    cli: Cli, live_server: Any
) -> None:
    import stripe

    from history.models import AuditEvent, TriggerState

    # Stripe makes the secret once it has the URL: none yet, and url says how to set it
    first = cli.ok("triggers", "url", "stripe-events")
    assert first.stdout.endswith("/triggers/stripe-events\n") and "--set" in first.stderr
    assert "--set" in cli.fails("triggers", "secret", "stripe-events").stderr
    secret = "whsec_" + "Q" * 32
    assert cli.ok("triggers", "secret", "stripe-events", "--set", stdin=f"{secret}\n").stdout == (
        f"{secret}\n"
    )
    lines = cli.ok("triggers", "url", "stripe-events").stdout.splitlines()
    assert lines == [first.stdout.strip(), f"secret (stripe): {secret}"]
    body = '{"id": "evt_cli", "type": "invoice.paid"}'
    header = stripe.WebhookSignature.generate_signature_header(body, secret)
    delivered = httpx.post(
        f"{live_server.url}/triggers/stripe-events",
        content=body,
        headers={"Stripe-Signature": header, "Content-Type": "application/json"},
    )
    assert delivered.status_code == 202, delivered.text
    refused = cli.fails("triggers", "secret", "stripe-events", "--set", stdin="sk_live_oops\n")
    assert "whsec_" in refused.stderr and "sk_live_oops" not in refused.stderr
    assert "Stripe makes" in cli.fails("triggers", "secret", "stripe-events", "--rotate").stderr

    old = cli.ok("triggers", "secret", "github-pushes").stdout.strip()
    new = cli.ok("triggers", "secret", "github-pushes", "--rotate").stdout.strip()
    assert new != old and TriggerState.objects.get(key="github-pushes").secret == new
    assert AuditEvent.objects.filter(action="trigger.secret").count() == 2

    viewer_key = issue_key("viewer", name="viewer")
    viewer = cli.fails("triggers", "secret", "github-pushes", KEYSTROKE_API_KEY=viewer_key)
    assert "Only admins" in viewer.stderr
    # url still answers a viewer, with the URL alone, and a schedule with its (empty) URL
    seen = cli.ok("triggers", "url", "github-pushes", KEYSTROKE_API_KEY=viewer_key)
    assert seen.stdout.strip().endswith("/triggers/github-pushes") and "Only admins" in seen.stderr
    assert cli.ok("triggers", "url", "weekly").stderr == ""
