"""`make dev` on the embedded default (SQLite + filesystem broker) runs every example offline.

The CLI is driven as a subprocess against the live stack, as a person would.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from .support import ROOT, wait_for

KEYSTROKE = str(Path(sys.executable).with_name("keystroke"))
# The suite's own settings (PostgreSQL, Redis, a test queue) must not leak into the dev stack.
SUITE_ONLY = ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE", "KEYSTROKE_")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def dev_stack(tmp_path: Path) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(SUITE_ONLY)}
    env |= {
        "KEYSTROKE_HOME": str(tmp_path / "home"),
        "KEYSTROKE_CONFIG": str(tmp_path / "cli.json"),
    }
    log = tmp_path / "dev.log"
    with open(log, "w") as out:
        make = subprocess.Popen(
            ["make", "--no-print-directory", "dev", f"PORT={free_port()}"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_for(
                lambda: "Keystroke is running at" in log.read_text() or make.poll() is not None,
                120,
                0.2,
                "make dev",
            )
            assert make.poll() is None, log.read_text()
            yield env
        finally:
            # Twice, as a terminal's Ctrl-C reaches make and keystroke dev both, and make passes
            # it on: a second signal must not cut the stop short.
            os.killpg(make.pid, signal.SIGTERM)
            os.killpg(make.pid, signal.SIGTERM)
            make.wait(timeout=30)
    home = env["KEYSTROKE_HOME"]
    wait_for(lambda: not _processes_of(home), 30, 0.5, "the dev stack's processes to stop")
    assert "Traceback" not in log.read_text(), log.read_text()


def _processes_of(home: str) -> list[str]:
    """The processes whose environment names this KEYSTROKE_HOME (web, worker, beat)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
        except OSError:
            continue
        if f"KEYSTROKE_HOME={home}".encode() in environ.split(b"\0"):
            found.append(pid)
    return found


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [KEYSTROKE, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_make_dev_runs_the_examples_offline_on_the_embedded_default(
    dev_stack: dict[str, str],
) -> None:
    home = Path(dev_stack["KEYSTROKE_HOME"])
    assert (home / "db.sqlite3").exists(), "the embedded default is SQLite under KEYSTROKE_HOME"

    greeting = cli(dev_stack, "workflows", "run", "greeting", "--input", '{"name": "Ada"}')
    assert greeting.returncode == 0, greeting.stderr
    assert json.loads(greeting.stdout) == {"message": "Hello, Ada!"}
    assert "step:greet#0" in greeting.stderr, "progress is shown on stderr"

    signup = cli(
        dev_stack,
        "workflows",
        "run",
        "signup-pipeline",
        "--input",
        '{"name": "Ada", "email": "ada@acme.io"}',
    )
    assert signup.returncode == 0, signup.stderr
    assert json.loads(signup.stdout)["welcome"] == "Hello, Ada!"

    weekly = cli(
        dev_stack, "workflows", "run", "weekly-sales-summary", "--input", '{"settle_seconds": 1}'
    )
    assert weekly.returncode == 0, weekly.stderr
    assert json.loads(weekly.stdout)["text"].startswith("Week 2026-W47:")

    agent = cli(
        dev_stack, "agents", "prompt", "lead-researcher", "--message", "Research ada@acme.io"
    )
    assert agent.returncode == 0, agent.stderr
    assert set(json.loads(agent.stdout)["output"]) == {"company", "score", "reason"}, (
        "offline: no key is set"
    )

    # The workspace example: a script written, run in the sandbox and read, offline.
    coder = cli(dev_stack, "agents", "prompt", "script-writer", "--message", "Say hello")
    assert coder.returncode == 0, coder.stderr
    assert "hello from the workspace" in json.loads(coder.stdout)["text"]
    assert (home / "workspaces").is_dir(), "workspaces are stored under KEYSTROKE_HOME"

    started = cli(
        dev_stack,
        "workflows",
        "run",
        "support-escalation",
        "--input",
        '{"customer": "acme", "subject": "down"}',
        "--no-wait",
    )
    assert started.returncode == 0, started.stderr
    run_id = json.loads(started.stdout)["run_id"]

    def hook_token() -> str | None:
        with sqlite3.connect(home / "db.sqlite3") as db:
            row = db.execute(
                "SELECT token FROM history_step WHERE kind = 'hook' AND status = 'waiting'"
            ).fetchone()
        return row[0] if row else None

    token = wait_for(hook_token, 60, what="the escalation to wait on its hook")
    resumed = cli(
        dev_stack,
        "hooks",
        "resume",
        token,
        "--payload",
        '{"resolution": "rebooted", "refund": true}',
    )
    assert resumed.returncode == 0, resumed.stderr

    def finished() -> dict | None:
        got = cli(dev_stack, "history", "get", run_id)
        run = json.loads(got.stdout) if got.returncode == 0 else {}
        return run if run.get("status") == "success" else None

    run = wait_for(finished, 60, 0.5, "the escalation to finish")
    assert run["output"]["resolution"] == "rebooted" and run["trigger"]["type"] == "cli"

    # The example webhook, called at the URL `triggers url` prints, runs the signup pipeline.
    url = cli(dev_stack, "triggers", "url", "signup").stdout.strip()
    delivered = httpx.post(
        url, json={"type": "signup", "name": "Bo", "email": "bo@acme.io"}, timeout=30
    )
    assert delivered.status_code == 202, delivered.text
    hooked = delivered.json()["run_id"]
    assert (
        wait_for(lambda: _succeeded(dev_stack, hooked), 60, 0.5, "the webhook's run")["trigger"][
            "type"
        ]
        == "webhook"
    )

    # The example poll reads the offline inbox: an urgent line starts an escalation.
    (home / "support-inbox.jsonl").write_text(
        '{"customer": "acme", "subject": "down", "priority": "urgent"}\n'
    )
    polled = cli(dev_stack, "triggers", "invoke", "support-inbox")
    assert polled.returncode == 0 and len(json.loads(polled.stdout)["run_ids"]) == 1, polled.stderr

    bad = cli(dev_stack, "workflows", "run", "greeting", "--input", '{"name": 5}')
    assert bad.returncode == 1 and bad.stderr.startswith("error: Invalid input for greeting: name")


def _succeeded(env: dict[str, str], run_id: str) -> dict | None:
    got = cli(env, "history", "get", run_id, "--include", "trigger")
    run = json.loads(got.stdout) if got.returncode == 0 else {}
    return run if run.get("status") == "success" else None
