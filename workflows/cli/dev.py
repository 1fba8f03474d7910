"""``keystroke dev``: the whole system on one machine: web server, Celery worker and beat.

With no DATABASE_URL or CELERY_BROKER_URL exported, settings fall back to SQLite and kombu's
filesystem broker under KEYSTROKE_HOME, so nothing else needs to be installed.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

import click
import httpx

from . import config
from .errors import CliError
from .serve import bind_address, gunicorn_args

READY_SECONDS = 60
MODEL_KEYS = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
STOP_SECONDS = 10
# A sync worker serves one request at a time: two, so the CLI need not wait behind a browser.
WEB_WORKERS = 2
# Shorter than STOP_SECONDS, so gunicorn stops its own workers before the group is killed.
WEB_GRACEFUL_SECONDS = 5


@click.command()
@click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True)
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address the web server listens on."
)
def dev(port: int, host: str) -> None:
    """Run the development stack and point the CLI at it (target "local")."""
    root = project_root()
    check_port_free(host, port)
    url = f"http://{url_host(host)}:{port}"
    env = child_env(url)
    manage(root, env, "migrate", "--noinput")
    username, password = ensure_login(root, env)
    key = create_api_key(root, env)
    config.store_target(config.LOCAL, url, key)
    code = Stack(root, env).serve(
        commands(host, port),
        url,
        [
            f"Keystroke is running at {url}/",
            *models_notice(env),
            f"Log in as {username} with password {password}",
            f'API key for the CLI: {key} (saved as target "{config.LOCAL}")',
            "Press Ctrl-C to stop.",
        ],
    )
    sys.exit(code)


def project_root() -> Path:
    """The checkout this package runs from, else the current directory."""
    for candidate in (Path(__file__).resolve().parents[2], Path.cwd()):
        if (candidate / "manage.py").is_file():
            return candidate
    raise CliError("cannot find manage.py: run keystroke dev from the Keystroke project directory")


def check_port_free(host: str, port: int) -> None:
    # Otherwise the readiness poll could be answered by whatever already listens there.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            hint = "is keystroke dev already running? Choose another --port"
            raise CliError(f"cannot listen on {host}:{port} ({exc.strerror}): {hint}") from None


def url_host(host: str) -> str:
    # A wildcard address is where the server listens, not an address a client can call.
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def child_env(url: str) -> dict[str, str]:
    env = {**os.environ, "DEBUG": "1", "PYTHONUNBUFFERED": "1"}
    env.setdefault("KEYSTROKE_PUBLIC_URL", url)
    if not any(env.get(name) for name in (*MODEL_KEYS, "OPENAI_BASE_URL")):
        # so every example runs without a key or network
        env.setdefault("KEYSTROKE_OFFLINE_MODELS", "1")
    return env


def models_notice(env: dict[str, str]) -> list[str]:
    if env.get("KEYSTROKE_OFFLINE_MODELS") == "1":
        return [f"No model key is set ({', '.join(MODEL_KEYS)}): agents use the offline test model"]
    return []


def commands(host: str, port: int) -> dict[str, list[str]]:
    # no banners around ours
    celery = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "keystroke_site",
        "--quiet",
    ]
    return {
        "web server": web_server(host, port),
        "Celery worker": [*celery, "worker", "-l", "warning", "--concurrency", "2"],
        "Celery beat": [*celery, "beat", "-l", "warning"],
    }


def web_server(host: str, port: int) -> list[str]:
    """Production's gunicorn, not runserver, whose kept-alive responses wait about 40 ms each.

    runserver sends a response's status line, headers and body in separate small writes on a
    socket without TCP_NODELAY, so each write after the first waits for the client's delayed ACK.
    """
    # timeout 0: as under runserver, a request stopped at a breakpoint() is not killed. No
    # control socket: gunicorn's default path is one per user, which a second server takes over.
    args = gunicorn_args(bind_address(host, port), WEB_WORKERS, 0, WEB_GRACEFUL_SECONDS)
    return [*args, "--log-level", "warning", "--no-control-socket"]


def manage(root: Path, env: dict[str, str], *args: str) -> str:
    """Runs one management command to completion; its output is shown only if it fails."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise CliError(f"manage.py {args[0]} exited with status {done.returncode}")
    return done.stdout


def ensure_login(root: Path, env: dict[str, str]) -> tuple[str, str]:
    username = "admin"
    password = os.environ.get("KEYSTROKE_DEV_PASSWORD") or secrets.token_urlsafe(9)
    manage(root, env, "create_user", username, "--password", password, "--role", "admin")
    return username, password


def create_api_key(root: Path, env: dict[str, str]) -> str:
    lines = (
        manage(root, env, "create_api_key", "--name", "dev-cli", "--role", "admin")
        .strip()
        .splitlines()
    )
    if not lines:
        raise CliError("manage.py create_api_key printed no key")
    return lines[-1].strip()


class Stack:
    """The child processes, each in a session of its own so a stop reaches its own children."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.children: dict[str, subprocess.Popen[bytes]] = {}

    def serve(self, commands: dict[str, list[str]], url: str, banner: list[str]) -> int:
        """Exit status: 0 after Ctrl-C or SIGTERM, 1 when a child dies on its own."""
        previous = signal.signal(signal.SIGTERM, _interrupt)
        try:
            for name, args in commands.items():
                self.children[name] = subprocess.Popen(
                    args, cwd=self.root, env=self.env, start_new_session=True
                )
            self.wait_until_up(url)
            click.echo("\n".join(["", *banner, ""]))
            return self.watch()
        except KeyboardInterrupt:
            click.echo("\nStopping the web server, worker and beat…", err=True)
            return 0
        finally:
            # A second Ctrl-C or SIGTERM (make passes one on) must not cut the stop short and
            # leave a worker running.
            interrupt = signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            try:
                self.stop()
            finally:
                signal.signal(signal.SIGINT, interrupt)
                signal.signal(signal.SIGTERM, previous)

    def wait_until_up(self, url: str) -> None:
        deadline = time.monotonic() + READY_SECONDS
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                httpx.get(f"{url}/", timeout=2)
                return
            except httpx.TransportError:
                time.sleep(0.3)
        raise CliError(f"the web server did not answer at {url} within {READY_SECONDS}s")

    def watch(self) -> int:
        while True:
            try:
                self.check_alive()
            except CliError as exc:
                click.echo(f"error: {exc.message}; stopping the others", err=True)
                return 1
            time.sleep(0.5)

    def check_alive(self) -> None:
        for name, child in self.children.items():
            if child.poll() is not None:
                raise CliError(f"the {name} exited unexpectedly with status {child.returncode}")

    def stop(self) -> None:
        alive = [c for c in self.children.values() if c.poll() is None]
        for child in alive:
            # Only the main process: a Celery worker shuts its own pool down, and restarts
            # pool processes that something else kills.
            child.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for child in alive:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill_group(child)
                child.wait()


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(child.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it ended between the timeout and the signal


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # SIGTERM takes the same path as Ctrl-C: stop the children, then exit 0.
    raise KeyboardInterrupt
