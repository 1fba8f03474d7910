"""Starts from the CLI carry an Idempotency-Key, so its own retries never start a second run."""

from __future__ import annotations

import pytest

from history.models import Run

from .conftest import Cli, StubServer, base_env

pytestmark = pytest.mark.django_db(transaction=True)

RUN_ID = "run_" + "c" * 32


def test_a_repeated_key_prints_the_first_run(cli: Cli) -> None:
    args = (
        "workflows",
        "run",
        "greeting",
        "--input",
        '{"name": "Ada"}',
        "--no-wait",
        "--idempotency-key",
        "order-7",
    )
    first = cli.ok(*args).json()
    again = cli.ok(*args).json()
    assert again["run_id"] == first["run_id"]
    assert Run.objects.count() == 1
    other = cli.ok("workflows", "run", "greeting", "--input", '{"name": "Ada"}', "--no-wait").json()
    assert other["run_id"] != first["run_id"], "without a key each command starts its own run"


def test_a_key_reused_for_another_input_fails_naming_the_key(cli: Cli) -> None:
    cli.ok(
        "workflows",
        "run",
        "greeting",
        "--input",
        '{"name": "Ada"}',
        "--no-wait",
        "--idempotency-key",
        "k",
    )
    refused = cli.fails(
        "workflows",
        "run",
        "greeting",
        "--input",
        '{"name": "Bo"}',
        "--no-wait",
        "--idempotency-key",
        "k",
    )
    assert "Idempotency-Key" in refused.stderr
    assert Run.objects.count() == 1


def test_a_start_the_server_could_not_answer_is_retried_with_the_same_key(
    stub_server: StubServer, tmp_path
) -> None:
    started = {"run_id": RUN_ID, "status": "queued", "url": f"http://x/history/{RUN_ID}/"}
    unavailable = {
        "error": {"type": "database_unavailable", "message": "The database cannot be reached."}
    }
    stub_server.routes[("POST", "/api/workflows/greeting")] = [
        (503, unavailable),
        (503, unavailable),
        (202, started),
    ]
    cli = Cli(
        base_env(tmp_path) | {"KEYSTROKE_URL": stub_server.url, "KEYSTROKE_API_KEY": "ks_stub"}
    )
    result = cli.ok("workflows", "run", "greeting", "--input", "{}", "--no-wait")
    assert result.json() == started
    keys = [r["headers"]["Idempotency-Key"] for r in stub_server.requests]
    assert len(keys) == 3 and len(set(keys)) == 1 and keys[0].startswith("cli-")
    assert result.stderr.count("retrying") == 2
