"""The installed ``keystroke`` console script, run as a subprocess against a live test server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from history.models import ApiKey, Organization, Run, parse_run_id
from history.models.accounts import Role

KEYSTROKE = str(Path(sys.executable).with_name("keystroke"))
# Whatever the developer's shell points the CLI at must not reach the tests.
CLIENT_VARS = ("KEYSTROKE_URL", "KEYSTROKE_API_KEY", "KEYSTROKE_CONFIG", "XDG_CONFIG_HOME")


@dataclass(frozen=True)
class Result:
    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


class Cli:
    """Runs ``keystroke`` with a fixed environment; keyword arguments change it (None unsets)."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def __call__(self, *args: str, stdin: str = "", **env: str | None) -> Result:
        merged = {k: v for k, v in {**self.env, **env}.items() if v is not None}
        done = subprocess.run(
            [KEYSTROKE, *args],
            env=merged,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Result(args, done.returncode, done.stdout, done.stderr)

    def ok(self, *args: str, stdin: str = "", **env: str | None) -> Result:
        result = self(*args, stdin=stdin, **env)
        assert result.code == 0, (
            f"keystroke {' '.join(args)} exited {result.code}:\n{result.stderr}"
        )
        return result

    def fails(self, *args: str, stdin: str = "", **env: str | None) -> Result:
        """Exit status 1, an ``error:`` line on stderr and nothing on stdout."""
        result = self(*args, stdin=stdin, **env)
        assert result.code == 1, (
            f"keystroke {' '.join(args)} exited {result.code}:\n{result.stdout}{result.stderr}"
        )
        assert result.stdout == "", result.stdout
        return result


def issue_key(role: str = Role.ADMIN, name: str = "cli-tests") -> str:
    _, raw = ApiKey.issue(Organization.objects.default(), name, role)
    return raw


def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CLIENT_VARS}
    return env | {"KEYSTROKE_CONFIG": str(tmp_path / "cli.json")}


def run_of(run_id: str) -> Run:
    return Run.objects.get(uid=parse_run_id(run_id))


@pytest.fixture
def cli(live_server: Any, transactional_db: None, tmp_path: Path) -> Cli:
    """Pointed at the live server by environment variables, with an admin key."""
    return Cli(
        base_env(tmp_path) | {"KEYSTROKE_URL": live_server.url, "KEYSTROKE_API_KEY": issue_key()}
    )


@dataclass
class StubServer:
    """A canned HTTP server for routes the real server does not have yet; it records requests.

    A route may hold a list of answers, given in turn (the last one again and again).
    """

    routes: dict[tuple[str, str], Any]
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


def _handler(stub: StubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._answer("GET")

        def do_POST(self) -> None:
            self._answer("POST")

        def _answer(self, method: str) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            path = self.path.split("?", 1)[0]
            stub.requests.append(
                {"method": method, "path": self.path, "body": body, "headers": dict(self.headers)}
            )
            answer = stub.routes.get(
                (method, path), (404, {"error": {"message": f"no route {path}"}})
            )
            status, payload = (
                (answer.pop(0) if len(answer) > 1 else answer[0])
                if isinstance(answer, list)
                else answer
            )
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keeps the test output clean

    return Handler


@pytest.fixture
def stub_server() -> Iterator[StubServer]:
    stub = StubServer(routes={})
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(stub))
    stub.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield stub
    server.shutdown()
    server.server_close()
