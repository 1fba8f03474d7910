"""Every workflow, agent and action defined by the project, by slug."""

from __future__ import annotations

from typing import Any


class Registry:
    def __init__(self) -> None:
        # Workflows and agents share one namespace: a run names its target by slug.
        self.targets: dict[str, Any] = {}
        self.actions: dict[str, Any] = {}
        self.triggers: dict[str, Any] = {}

    def add(self, definition: Any) -> None:
        tables = {"action": self.actions, "trigger": self.triggers}
        table = tables.get(definition.kind, self.targets)
        existing = table.get(definition.slug)
        if existing is not None and existing is not definition:
            raise ValueError(
                f"Two definitions have slug {definition.slug!r}: {existing.kind} in "
                f"{existing.source} and "
                f"{definition.kind} in {definition.source}. Rename one of them."
            )
        if definition.kind == "trigger":
            self._check_endpoint(definition)
        table[definition.slug] = definition

    def _check_endpoint(self, trigger: Any) -> None:
        endpoint = getattr(trigger, "endpoint", None)
        for other in self.triggers.values():
            if endpoint and other is not trigger and getattr(other, "endpoint", None) == endpoint:
                raise ValueError(
                    f"Webhooks {other.slug!r} ({other.source}) and {trigger.slug!r} "
                    f"({trigger.source}) both use "
                    f"endpoint {endpoint!r}: give each its own, and attach several targets to one "
                    "webhook instead."
                )

    def workflow(self, slug: str) -> Any | None:
        """The workflow or agent a run with this slug executes."""
        return self.targets.get(slug)

    def workflows(self) -> list[Any]:
        return sorted(self.targets.values(), key=lambda d: d.slug)

    def of_kind(self, kind: str) -> list[Any]:
        return [target for target in self.workflows() if target.kind == kind]

    def target(self, slug: str, kind: str) -> Any | None:
        target = self.targets.get(slug)
        return target if target is not None and target.kind == kind else None

    def webhook(self, endpoint: str) -> Any | None:
        return next(
            (t for t in self.triggers.values() if getattr(t, "endpoint", None) == endpoint), None
        )

    def attachments(self) -> list[Any]:
        return [
            a
            for trigger in sorted(self.triggers.values(), key=lambda t: t.slug)
            for a in trigger.attachments
        ]


registry = Registry()
