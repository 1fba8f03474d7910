from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from history import listening
from history.models import ApiKey, Organization
from history.models.accounts import Role
from workflows.registry import Registry, registry

from .support import ROOT, Process, start_beat, start_worker

_CHECKOUT_BEFORE = pytest.StashKey[set[str]]()

# Agents answer offline, in this process and the workers it starts, unless a test points a
# worker at its loopback model server (tests/llm_server.py). A developer's own keys stay unused.
os.environ["KEYSTROKE_OFFLINE_MODELS"] = "1"
for _key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ANTHROPIC_API_KEY"):
    os.environ.pop(_key, None)


class Stack:
    """Workers and a beat process for one test; everything is stopped after it."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.processes: list[Process] = []

    def worker(self, **env: str) -> Process:
        process = start_worker(self.log_dir, **env)
        self.processes.append(process)
        return process

    def beat(self, **env: str) -> Process:
        process = start_beat(self.log_dir, **env)
        self.processes.append(process)
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {p.name} ---\n{p.output()[-4000:]}" for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            process.stop()


@pytest.fixture
def stack(
    transactional_db: None, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Stack]:
    stack = Stack(tmp_path)
    yield stack
    stack.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(stack.logs())


# Modules that take the better part of a minute or more: under pytest-xdist they are handed out
# first, so that no worker starts one while the others sit idle at the end. One missing here
# only runs in its place.
LONG_MODULES = [
    "tests/production/test_production_install.py",
    "tests/api/test_access_matrix.py",
    "tests/workflows/test_worker_shutdown.py",
    "tests/workflows/test_worker.py",
    "tests/production/test_broker_restart.py",
    "tests/cli/test_runs.py",
    "tests/history/test_hook_tokens_hidden.py",
    "tests/workflows/test_bulk_jobs.py",
    "tests/history/test_where_sqlite.py",
    "tests/production/test_metrics.py",
    "tests/test_dev_smoke.py",
    "tests/workflows/test_agents_worker.py",
    "tests/production/test_database_outage.py",
    "tests/production/test_reverse_proxy.py",
    "tests/production/test_broker_outage.py",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    rank = {module: n for n, module in enumerate(LONG_MODULES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


def _checkout_changes() -> set[str]:
    """What git sees changed or new in the checkout, ignored files aside (none without git)."""
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=all"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return set(done.stdout.splitlines()) if done.returncode == 0 else set()


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the xdist controller checks for all
        session.config.stash[_CHECKOUT_BEFORE] = _checkout_changes()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Tests write to temporary folders: a file they leave in the checkout fails the run."""
    if _CHECKOUT_BEFORE not in session.config.stash:
        return
    left = sorted(_checkout_changes() - session.config.stash[_CHECKOUT_BEFORE])
    if left:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(
                "The tests changed the checkout (write to tmp_path instead): " + ", ".join(left),
                red=True,
            )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# As this machine's Chromium needs them: no sandbox as root, and no calls out of a closed network.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _no_listener_left() -> Iterator[None]:
    """A ?wait's listening connection is closed after each test, so its database can be dropped."""
    yield
    listening.close()


@pytest.fixture
def scratch_registry() -> Iterator[Registry]:
    """The project's registry, as it was before the test once the test ends: definitions it made are
    gone.
    """
    tables = ("targets", "actions", "triggers")
    saved = {name: dict(getattr(registry, name)) for name in tables}
    yield registry
    for name in tables:
        getattr(registry, name).clear()
        getattr(registry, name).update(saved[name])


@pytest.fixture
def org() -> Organization:
    return Organization.objects.default()


def api_client(org: Organization, role: str = Role.OPERATOR) -> APIClient:
    _, raw = ApiKey.issue(org, f"test-{role}", role)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def api(org: Organization) -> APIClient:
    return api_client(org)
