"""keystroke workflows runs retry --from-step --input: a new run from a chosen step, with new
input, against a live server and a real worker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ..conftest import Stack
from .conftest import Cli, run_of
from .test_runs import lines, started_id, status_becomes

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_retries_a_failed_run_from_a_step_with_new_input(
    cli: Cli, stack: Stack, tmp_path: Path
) -> None:
    stack.worker()
    marker, flag = tmp_path / "effects", tmp_path / "paid"
    order = {"marker": str(marker), "flag": str(flag)}
    failed = cli("workflows", "run", "checkout", "--input", json.dumps(order))
    assert failed.code == 1
    original = started_id(failed.stderr)
    unknown = cli.fails("workflows", "runs", "retry", original, "--from-step", "step:nope#0")
    assert "from_step 'step:nope#0' is not a step of run" in unknown.stderr
    assert "step:effect#0, step:effect#1" in unknown.stderr

    flag.touch()
    new_input = json.dumps({**order, "quantity": 5})
    args = ("workflows", "runs", "retry", original, "--from-step", "step:effect#1")
    started = cli.ok(*args, "--input", new_input).json()
    assert started["id"] != original and started["status"] == "queued"
    assert started["trigger"] == {"type": "retry", "label": "Retry · from step:effect#1"}
    status_becomes(started["id"], "success")
    assert run_of(started["id"]).output == {"labels": ["reserve", "charge x5"]}
    assert lines(marker) == ["reserve", "charge x1:failed", "charge x5"], "reserve ran once"

    got = cli.ok("history", "get", started["id"], "--include", "trigger,steps").json()
    assert got["trigger"]["raw"]["retry_of"] == original
    assert [(s["id"], s["copied"]) for s in got["steps"]] == [
        ("step:effect#0", True),
        ("step:effect#1", False),
    ]

    fresh = cli.ok("workflows", "runs", "retry", original, "--input", new_input).json()
    status_becomes(fresh["id"], "success")
    assert lines(marker).count("reserve") == 2, "--input alone runs again from the first step"


def test_bad_retry_options_fail_naming_what_to_fix(cli: Cli, tmp_path: Path) -> None:
    run_id = "run_" + "0" * 32
    bad_json = cli.fails("workflows", "runs", "retry", run_id, "--input", "{quantity: 2}")
    assert bad_json.stderr.startswith("error: --input is not valid JSON")
    not_object = cli.fails("workflows", "runs", "retry", run_id, "--input", "[2]")
    assert "--input must be a JSON object" in not_object.stderr
