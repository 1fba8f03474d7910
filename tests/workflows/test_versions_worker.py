"""A workflow changed under runs waiting on people, across three deploys on real workers.

Version v1 sends a letter, then waits for a "delivered" hook. v2 sends an email instead, behind
``ctx.patched``, and keeps the letter for runs recorded before it. v3 drops the letter too early.
Each deploy is a worker on its own project folder and ``KEYSTROKE_VERSION``.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from history.models import Organization, Run
from history.models.accounts import Role
from workflows import store
from workflows.runs import resume_hook

from ..conftest import Stack
from ..factories import api_origin, member
from ..support import Process, wait_for

pytestmark = pytest.mark.django_db(transaction=True)

ACTIONS = """
from pydantic import BaseModel

from workflows.sdk import Context, define_action, define_workflow


class Order(BaseModel):
    marker: str


class Sent(BaseModel):
    how: str


def _note(order: Order, how: str) -> Sent:
    with open(order.marker, "a") as effects:
        effects.write(how + "\\n")
    return Sent(how=how)


def _letter(order: Order) -> Sent:
    return _note(order, "letter")


def _email(order: Order) -> Sent:
    return _note(order, "email")


letter = define_action(slug="send-letter", input=Order, output=Sent, run=_letter)
email = define_action(slug="send-email", input=Order, output=Sent, run=_email)
"""

BODIES = {
    "v1": """
    sent = await letter.run(order)
""",
    "v2": """
    if ctx.patched("email-not-letter"):
        sent = await email.run(order)
    else:
        sent = await letter.run(order)
""",
    "v3": """
    sent = await email.run(order)
""",
}

WORKFLOW = """

async def _receipt(order: Order, ctx: Context) -> Sent:
{body}
    await ctx.hook("delivered")
    return sent


receipt = define_workflow(slug="receipt", input=Order, output=Sent, run=_receipt)
"""

RECEIPT = SimpleNamespace(kind=Run.Kind.WORKFLOW, slug="receipt", timeout=None)


def _project(root: Path, version: str) -> Path:
    folder = root / f"project-{version}" / "workflows"
    folder.mkdir(parents=True)
    (folder / "receipt.py").write_text(ACTIONS + WORKFLOW.format(body=BODIES[version]))
    return folder.parent


def _deploy(stack: Stack, root: Path, version: str) -> Process:
    """A worker on ``version``'s code."""
    folder = str(_project(root, version))
    return stack.worker(KEYSTROKE_PROJECT_DIR=folder, KEYSTROKE_VERSION=version)


def _start(settings: object, org: Organization, version: str, marker: Path) -> Run:
    """A run started by a web process of ``version``."""
    settings.KEYSTROKE_WORKFLOWS = {**settings.KEYSTROKE_WORKFLOWS, "VERSION": version}  # type: ignore[attr-defined]
    with transaction.atomic():
        return store.create_run_txn(RECEIPT, {"marker": str(marker)}, api_origin(org))


def _becomes(run: Run, status: str) -> Run:
    def check() -> Run | None:
        run.refresh_from_db()
        return run if run.status == status else None

    return wait_for(check, 60, what=f"{run.public_id} to become {status} (is {run.status})")


def _deliver(run: Run) -> None:
    resume_hook(run.steps.get(kind="hook").token, {}, resumed_by="tests")


def _kinds(run: Run) -> list[str]:
    return list(run.steps.order_by("position").values_list("kind", flat=True))


def test_runs_keep_the_code_path_they_started_on_across_deploys(
    stack: Stack, settings: object, org: Organization, api: APIClient, tmp_path: Path
) -> None:
    before, too_early, after = (tmp_path / f"{name}.effects" for name in ("r1", "r3", "r2"))
    first = _start(settings, org, "v1", before)
    third = _start(settings, org, "v1", too_early)
    v1 = _deploy(stack, tmp_path, "v1")
    _becomes(first, "waiting")
    _becomes(third, "waiting")
    v1.stop()

    # v2: the run recorded before the change replays the letter; a new run takes the email.
    v2 = _deploy(stack, tmp_path, "v2")
    second = _start(settings, org, "v2", after)
    _becomes(second, "waiting")
    _deliver(first)
    _deliver(second)
    assert _becomes(first, "success").output == {"how": "letter"}
    assert _becomes(second, "success").output == {"how": "email"}
    assert before.read_text() == "letter\n" and after.read_text() == "email\n"
    assert _kinds(first) == ["action", "hook"]
    assert _kinds(second) == ["patch", "action", "hook"]
    assert (first.version, second.version) == ("v1", "v2")
    v2.stop()

    # v3 dropped the letter while a v1 run still waits: it fails naming both versions, and sends
    # nothing.
    _deploy(stack, tmp_path, "v3")
    _deliver(third)
    failed = _becomes(third, "failed")
    assert failed.error["type"] == "NonDeterminismError"
    assert "started on version v1 and this worker runs v3" in failed.error["message"]
    assert (failed.error["started_on_version"], failed.error["running_version"]) == ("v1", "v3")
    assert too_early.read_text() == "letter\n"

    # The API shows each run's version and filters on it; History shows both versions.
    body = api.get(f"/api/runs/{second.public_id}").json()
    assert body["version"] == "v2"
    listed = api.get("/api/runs", {"version": "v1"}).json()["results"]
    assert {run["id"] for run in listed} == {first.public_id, third.public_id}
    viewer = member(org, Role.VIEWER)
    page = viewer.get(f"/history/{third.public_id}/?tab=metadata", HTTP_HX_REQUEST="true")
    page = page.content.decode()
    assert 'href="/history/?version=v1"' in page
    assert "Failed on version</dt><dd data-failed-version><code>v3</code>" in page
