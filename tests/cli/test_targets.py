"""Which server the CLI talks to, and what it says when it cannot talk to it."""

from __future__ import annotations

import json
import socket
import stat
from pathlib import Path
from typing import Any

import pytest

from history.models import Run
from history.models.accounts import Role

from .conftest import Cli, base_env, issue_key

pytestmark = pytest.mark.django_db(transaction=True)

NO_TARGET = (
    "error: no server is configured: run `keystroke dev`, or `keystroke target use <url> "
    "--token <key>`\n"
)


def closed_port_url() -> str:
    # Bound and closed again: nothing listens there for the rest of the test.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


@pytest.fixture
def bare(transactional_db: None, tmp_path: Path) -> Cli:
    """No KEYSTROKE_URL or KEYSTROKE_API_KEY, and an empty config file path."""
    return Cli(base_env(tmp_path))


def test_target_use_stores_the_server_and_the_environment_overrides_it(
    bare: Cli, live_server: Any, tmp_path: Path
) -> None:
    key = issue_key(Role.OPERATOR)
    used = bare.ok("target", "use", f"{live_server.url}/", "--token", key)
    assert used.stdout.startswith(f"Using {live_server.url} as target ")
    config = tmp_path / "cli.json"
    stored = json.loads(config.read_text())
    assert stored["targets"][stored["current"]] == {"url": live_server.url, "token": key}
    assert stat.S_IMODE(config.stat().st_mode) == 0o600, "the file holds an API key"

    shown = bare.ok("target", "show", "--output", "json").json()
    assert shown == {
        "name": stored["current"],
        "url": live_server.url,
        "key": f"{key[:10]}…",
        "source": "config",
        "config": str(config),
    }
    assert f"url: {live_server.url}\n" in bare.ok("target", "show").stdout
    assert {w["slug"] for w in bare.ok("workflows", "list").json()} >= {"three-steps"}

    elsewhere = closed_port_url()
    overridden = bare.ok("target", "show", "--output", "json", KEYSTROKE_URL=elsewhere).json()
    assert (overridden["url"], overridden["source"], overridden["key"]) == (
        elsewhere,
        "environment",
        "not set",
    )
    down = bare.fails("workflows", "list", KEYSTROKE_URL=elsewhere, KEYSTROKE_API_KEY=key)
    assert (
        down.stderr
        == f"error: cannot reach {elsewhere}: is the server running? (start it with keystroke "
        "dev)\n"
    )

    wrong = bare.fails("workflows", "list", KEYSTROKE_API_KEY="ks_wrong")
    assert wrong.stderr.startswith("error: Unknown or revoked API key")
    verbose = bare.fails("--verbose", "workflows", "list", KEYSTROKE_API_KEY="ks_wrong")
    assert "HTTP status: 401" in verbose.stderr or "HTTP status: 403" in verbose.stderr


def test_it_says_how_to_set_a_target_when_there_is_none(bare: Cli) -> None:
    assert bare.fails("workflows", "list").stderr == NO_TARGET
    assert bare.fails("target", "show").stderr == NO_TARGET
    assert "run `keystroke dev` first" in bare.fails("target", "use", "local").stderr
    assert "a URL needs an API key" in bare.fails("target", "use", "http://example.test").stderr
    assert not (Path(bare.env["KEYSTROKE_CONFIG"])).exists()


def test_a_viewer_key_reads_but_cannot_start_runs(cli: Cli) -> None:
    viewer = issue_key(Role.VIEWER, "viewer")
    assert cli.ok("history", "list", KEYSTROKE_API_KEY=viewer).json() == []
    refused = cli.fails(
        "workflows", "run", "three-steps", "--input", '{"marker": "m"}', KEYSTROKE_API_KEY=viewer
    )
    assert refused.stderr == "error: This needs the operator role; you are a viewer.\n"
    assert not Run.objects.exists()
