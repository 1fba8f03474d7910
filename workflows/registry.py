"""Every workflow, agent and action defined by the project, by slug."""

from __future__ import annotations

from typing import Any


class Registry:
    def __init__(self) -> None:
        # Workflows and agents share one namespace: a run names its target by slug.
        self.targets: dict[str, Any] = {}
        self.actions: dict[str, Any] = {}

    def add(self, definition: Any) -> None:
        table = self.actions if definition.kind == "action" else self.targets
        existing = table.get(definition.slug)
        if existing is not None and existing is not definition:
            raise ValueError(
                f"Two definitions have slug {definition.slug!r}: {existing.kind} in {existing.source} and "
                f"{definition.kind} in {definition.source}. Rename one of them."
            )
        table[definition.slug] = definition

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


registry = Registry()
