"""What an action's code receives as its optional second parameter."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from ..errors import WorkspaceError
from ..workspace import CommandResult, run_command


def idempotency_key(run_id: str, step_id: str) -> str:
    return hashlib.sha256(f"{run_id}:{step_id}".encode()).hexdigest()[:32]


@dataclass(frozen=True)
class StepContext:
    """Handed to an action's function as its optional second parameter.

    Attributes:
        run_id: The run executing the step (``None`` when the action is called outside a run).
        step_id: ``step:<slug>#<n>``.
        attempt: 1 for the first attempt, 2 for the first retry, and so on.
        idempotency_key: Stable across attempts and replays: pass it to external systems so a
            repeated step (steps run at least once) does no harm.
        logger: A logger for this step.
        usage: The usage lines this attempt recorded (see ``charge``).
        workspace: The run's workspace folder (``define_workflow(..., workspace=True)``), or
            ``None``. What a step leaves there is stored when it finishes, and the next step
            finds it, on whichever worker runs it.
    """

    run_id: str | None
    step_id: str | None
    attempt: int
    idempotency_key: str | None
    logger: logging.Logger
    usage: list[dict[str, Any]] = field(default_factory=list)
    workspace: Path | None = None

    def run_command(
        self, command: str | Sequence[str], *, timeout: float | None = None
    ) -> CommandResult:
        """Run ``command`` (a shell line, or a list of arguments) in the workspace, sandboxed:
        the workspace writable at /workspace, the rest of the system read-only, no network,
        KEYSTROKE_COMMAND_TIMEOUT and KEYSTROKE_COMMAND_MEMORY as limits. Returns its
        ``CommandResult`` (exit_code, stdout, stderr); raises CommandTimeout past the time
        limit and SandboxUnavailable where bubblewrap cannot run, never running it unsandboxed.
        """
        return run_command(self.require_workspace("run_command"), command, timeout)

    def require_workspace(self, what: str) -> Path:
        if self.workspace is None:
            raise WorkspaceError(
                f"{what} works in the run's workspace, and this run has none: define its "
                "workflow (or agent) with workspace=True."
            )
        return self.workspace

    def charge(
        self, service: str, cost: Decimal | str | float, *, quantity: float = 1, unit: str = "call"
    ) -> None:
        """Declare a paid call to an external service, e.g. ``ctx.charge("clearbit", "0.02")``.

        It becomes a usage line of the run, adds to the step's and the run's cost, and puts
        ``service`` in the run's services used.
        """
        if not isinstance(service, str) or not service.strip():
            raise ValueError(
                f"ctx.charge(service={service!r}): name the service, e.g. ctx.charge('clearbit', "
                "'0.02')."
            )
        try:
            price = Decimal(str(cost))
        except InvalidOperation:
            raise ValueError(
                f"ctx.charge({service!r}, cost={cost!r}): cost is an amount in USD, e.g. '0.02'."
            ) from None
        if not price.is_finite() or price < 0:
            raise ValueError(
                f"ctx.charge({service!r}, cost={cost!r}): cost must be a finite amount of at "
                "least 0."
            )
        self.usage.append(
            {
                "kind": "service",
                "service": service.strip(),
                "quantity": str(quantity),
                "unit": unit,
                "cost": str(price),
            }
        )
