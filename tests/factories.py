"""What tests make, in one place: runs and their steps, hook steps, run origins, and members signed
in by role."""

from __future__ import annotations

import itertools
import sys
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.test import Client

from history.access import Actor
from history.models import Membership, Organization, Run, Step
from history.models.accounts import Role
from workflows.engine.context import _hook_schema_path
from workflows.origins import RunOrigin

_names = itertools.count(1)
HOOK_OPENED = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def make_run(org: Organization, slug: str = "greeting", **fields: Any) -> Run:
    """A run of ``org``'s default project; its fields as given, queued by default."""
    return Run.objects.create(organization=org, project=org.default_project(), slug=slug, **fields)


STEPS_START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def add_steps(run: Run, *steps: tuple[str, str, Any]) -> None:
    """Steps of ``run`` in order: (key, status, output); each takes a second and costs $0.01."""
    Step.objects.bulk_create(
        Step(
            run=run,
            position=position,
            step_id=f"step:{key}#0",
            kind="action",
            status=status,
            output=output if status == "success" else None,
            error={"type": "Boom", "message": output} if status == "failed" else None,
            started_at=STEPS_START + timedelta(seconds=position),
            finished_at=STEPS_START + timedelta(seconds=position + 1),
            cost=Decimal("0.01"),
        )
        for position, (key, status, output) in enumerate(steps)
    )


def api_origin(org: Organization) -> RunOrigin:
    """A start as the API makes one, for runs made with ``store.create_run_txn``."""
    return RunOrigin.api(Actor(org, Role.OPERATOR, "tests"))


def make_hook(run: Run, token: str, position: int = 0, **fields: Any) -> Step:
    """A hook step of ``run`` waiting on ``token``."""
    fields = {
        "step_id": f"step:hook:approval#{position}",
        "kind": "hook",
        "status": "waiting",
        **fields,
    }
    return Step.objects.create(run=run, position=position, token=token, **fields)


def approval_schema() -> str:
    """The import path of the test project's Approval model, as a hook records it."""
    module = next(m for name, m in sys.modules.items() if name.endswith(".workflows.scenarios"))
    return str(_hook_schema_path("approval", module.Approval))


def waiting_run(org: Organization, token: str, status: str = "waiting") -> Run:
    """A run waiting on its hook ``approval`` (opened 2026-12-01 09:00 UTC, one hour to answer)."""
    run = Run.objects.create(
        organization=org, project=org.default_project(), slug="approval", status="waiting"
    )
    Step.objects.create(
        run=run,
        position=0,
        step_id="step:approval#0",
        kind="hook",
        status=status,
        token=token,
        input={"schema": approval_schema()},
        started_at=HOOK_OPENED,
        wake_at=HOOK_OPENED + timedelta(hours=1),
    )
    return run


def superuser() -> Client:
    """A browser signed in as a superuser, who sees every organization."""
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="pw-12345678"))
    return client


def member(
    org: Organization, role: str = Role.OPERATOR, name: str | None = None, staff: bool = False
) -> Client:
    """A browser signed in as a new member of ``org`` with ``role``."""
    username = name or f"{role}-{next(_names)}"
    user = User.objects.create_user(username, password="pw-12345678", is_staff=staff)
    Membership.objects.create(user=user, organization=org, role=role)
    client = Client()
    client.force_login(user)
    return client
