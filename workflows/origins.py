"""Who or what starts a run: what a new run records of its start, and the label History shows.

Every run is created by ``store.create_run_txn`` from a ``RunOrigin``, made by one of its named
constructors, one for each way a run starts. Labels are composed here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from history.access import Actor
from history.models import Run


@dataclass(frozen=True)
class RunOrigin:
    organization_id: int
    trigger_type: str  # one of Run.Trigger
    label: str  # e.g. "Webhook · signup", "Workflow · signup-pipeline"
    project_id: int | None = None  # None: the organization's default project
    actor: str = ""  # who started it, as History shows it
    actor_user_id: int | None = None
    actor_api_key_id: int | None = None
    trigger_id: str = ""  # the trigger attachment that started it, <trigger>:<target>
    raw: Mapping[str, Any] = field(default_factory=dict)  # what the start received
    parent_id: int | None = None
    rerun_of_id: int | None = None

    def __post_init__(self) -> None:
        # Frozen all the way down: what the start received cannot change on its way to the row.
        object.__setattr__(self, "raw", MappingProxyType(dict(self.raw)))

    @classmethod
    def api(
        cls,
        actor: Actor,
        trigger_type: str = Run.Trigger.API,
        raw: Mapping[str, Any] | None = None,
    ) -> RunOrigin:
        """A start over the API by a script, the CLI or the web UI, as ``trigger_type`` says."""
        return cls(
            actor.organization.pk,
            trigger_type,
            _label(trigger_type),
            project_id=actor.default_project_id,
            raw=raw or {},
            **_who(actor),
        )

    @classmethod
    def trigger(
        cls,
        organization_id: int,
        trigger_type: str,
        slug: str,
        attachment_id: str,
        raw: Mapping[str, Any],
        actor: str,
    ) -> RunOrigin:
        """A webhook delivery, a schedule slot or a poll item, for one attachment of trigger
        ``slug``.
        """
        return cls(
            organization_id,
            trigger_type,
            _label(trigger_type, slug),
            actor=actor,
            trigger_id=attachment_id,
            raw=raw,
        )

    @classmethod
    def child(cls, parent: Run, step_id: str, tool_of: str | None = None) -> RunOrigin:
        """A run started by a step of ``parent``; ``tool_of`` names the agent that called it as a
        tool. It acts for whoever started the parent.
        """
        trigger_type = Run.Trigger.WORKFLOW_TOOL if tool_of else Run.Trigger.WORKFLOW
        return cls(
            parent.organization_id,
            trigger_type,
            _label(trigger_type, tool_of or parent.slug),
            project_id=parent.project_id,
            actor=parent.actor,
            actor_user_id=parent.actor_user_id,
            actor_api_key_id=parent.actor_api_key_id,
            raw={"parent_run_id": parent.public_id, "step_id": step_id, "agent": tool_of},
            parent_id=parent.pk,
        )

    @classmethod
    def rerun(cls, run: Run, actor: Actor) -> RunOrigin:
        """A new run with ``run``'s input, in its project, started by ``actor``."""
        return cls(
            run.organization_id,
            Run.Trigger.RETRY,
            _label(Run.Trigger.RETRY),
            project_id=run.project_id,
            raw={"rerun_of": run.public_id},
            rerun_of_id=run.pk,
            **_who(actor),
        )

    @classmethod
    def retry_from(
        cls, run: Run, actor: Actor, from_step: str | None, input_changed: bool, copied: int
    ) -> RunOrigin:
        """A new run that takes over ``run``'s steps before ``from_step`` (None: none of them)
        and runs the rest again, started by ``actor``.
        """
        about = f"from {from_step}" if from_step else "with new input" if input_changed else ""
        return cls(
            run.organization_id,
            Run.Trigger.RETRY,
            _label(Run.Trigger.RETRY, about),
            project_id=run.project_id,
            raw={
                "retry_of": run.public_id,
                "from_step": from_step,
                "input_changed": input_changed,
                "copied_steps": copied,
            },
            rerun_of_id=run.pk,
            **_who(actor),
        )


def _label(trigger_type: str, about: str = "") -> str:
    kind = Run.Trigger(trigger_type).label
    return f"{kind} · {about}" if about else str(kind)


def _who(actor: Actor) -> dict[str, Any]:
    return {
        "actor": actor.label,
        "actor_user_id": actor.user.pk if actor.user is not None else None,
        "actor_api_key_id": actor.api_key.pk if actor.api_key is not None else None,
    }
