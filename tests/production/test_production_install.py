"""The runtime lock alone runs the production system: gunicorn, a worker and beat, on
PostgreSQL with Redis and with RabbitMQ, a workflow started through the API to success.

The virtualenv is built from requirements.txt only, so a dependency that only the dev tools
bring in (as `packaging` once was) fails here, not on a user's first deployment.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from ..services import free_port
from ..support import ROOT, http_status, wait_for

SERVER = "postgresql://postgres@127.0.0.1:5432"
BROKERS = {"redis": "redis://127.0.0.1:6379/0", "rabbitmq": "amqp://guest:guest@127.0.0.1:5672//"}


@pytest.fixture(scope="module")
def runtime_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("runtime") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=_bare_env())
    python = venv / "bin" / "python"
    # Without byte-compiling every installed module, which halves the install and changes nothing
    # of what is installed: Python compiles what the processes below import.
    pip = [
        str(python),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
    ]
    subprocess.run(
        [*pip, "--require-hashes", "-r", str(ROOT / "requirements.txt")],
        check=True,
        env=_bare_env(),
    )
    return python


def _bare_env() -> dict[str, str]:
    """No trace of the dev virtualenv: PATH without it, and nothing of its Python settings."""
    dev_bin = str(Path(sys.executable).parent)
    path = os.pathsep.join(p for p in os.environ.get("PATH", "").split(os.pathsep) if p != dev_bin)
    keep = {
        k: v
        for k, v in os.environ.items()
        if k in ("HOME", "LANG", "LC_ALL", "TMPDIR", "PIP_CACHE_DIR")
    }
    return {**keep, "PATH": path}


@pytest.fixture
def database() -> Iterator[str]:
    name = f"keystroke_prod_{secrets.token_hex(4)}"
    with psycopg.connect(SERVER, autocommit=True) as db:
        db.execute(f'CREATE DATABASE "{name}"')
    yield f"postgres://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(SERVER, autocommit=True) as db:
        db.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_runtime_lock_holds_no_dev_tool(runtime_python: Path) -> None:
    for tool in ("pytest", "ruff", "playwright", "schemathesis", "piptools"):
        found = subprocess.run(
            [str(runtime_python), "-c", f"import {tool}"], capture_output=True, env=_bare_env()
        )
        assert found.returncode != 0, f"{tool} is in the runtime install"
    check = subprocess.run(
        [str(runtime_python), "-m", "pip", "check"], capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout


@pytest.mark.parametrize("broker", sorted(BROKERS))
def test_a_workflow_runs_to_success_on_the_runtime_install(
    runtime_python: Path, database: str, broker: str, tmp_path: Path
) -> None:
    env = _bare_env() | {
        "DJANGO_SETTINGS_MODULE": "keystroke_site.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": BROKERS[broker],
        "KEYSTROKE_QUEUE": f"keystroke-prod-{secrets.token_hex(4)}",
        "KEYSTROKE_HOME": str(tmp_path / "home"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "KEYSTROKE_PROJECT_DIR": str(ROOT / "examples"),
        "KEYSTROKE_OFFLINE_MODELS": "1",
        "ALLOWED_HOSTS": "127.0.0.1",
    }
    python = str(runtime_python)
    manage = [python, str(ROOT / "manage.py")]
    for command in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        done = subprocess.run(
            [*manage, *command], env=env, cwd=ROOT, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr[-3000:]
    made = subprocess.run(
        [*manage, "create_api_key", "--name", "prod"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    key = made.stdout.strip().splitlines()[-1]

    port = free_port()
    commands = {
        "web": [python, "-m", "workflows.cli", "serve", "--port", str(port), "--workers", "2"],
        "worker": [
            python,
            "-m",
            "celery",
            "-A",
            "keystroke_site",
            "worker",
            "-l",
            "info",
            "-c",
            "2",
        ],
        "beat": [
            python,
            "-m",
            "celery",
            "-A",
            "keystroke_site",
            "beat",
            "-l",
            "info",
            "-s",
            str(tmp_path / "beat"),
        ],
    }
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in commands}  # noqa: SIM115  closed below
    processes = {
        name: subprocess.Popen(
            args,
            env=env,
            cwd=ROOT,
            stdout=logs[name],
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for name, args in commands.items()
    }
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}
        ) as web:
            wait_for(lambda: http_status(web, "/api/workflows") == 200, 60, what="gunicorn")
            started = web.post(
                "/api/workflows/signup-pipeline", json={"name": "Ada", "email": "ada@acme.io"}
            )
            assert started.status_code == 202, started.text
            run_id = started.json()["run_id"]
            run = wait_for(lambda: _finished(web, run_id), 60, what="the run to finish")
            assert run["status"] == "success", run
            assert run["output"]["welcome"] == "Hello, Ada!"
            static = web.get("/static/history/css/base.css")
            assert static.status_code == 200 and "text/css" in static.headers["Content-Type"]
            assert web.get("/readyz").status_code == 200
        for name, process in processes.items():
            assert process.poll() is None, (
                f"{name} exited:\n{(tmp_path / f'{name}.log').read_text()[-3000:]}"
            )
    finally:
        for process in processes.values():
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
        for log in logs.values():
            log.close()


def _finished(web: httpx.Client, run_id: str) -> dict | None:
    run = web.get(f"/api/runs/{run_id}").json()
    return run if run["status"] in ("success", "failed", "canceled") else None
