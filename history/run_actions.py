"""Cancel, retry and rerun as History's buttons and admin ask for them; the engine does them.

History never imports the engine (workflows imports history), so the engine app hands its
functions over when it starts: ``provide``, from its AppConfig.ready.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ImproperlyConfigured

from .access import Actor
from .errors import Refused
from .models import Run

Action = Callable[[Run, Actor], Run]


@dataclass
class _Engine:
    actions: Mapping[str, Action] = field(default_factory=dict)
    refusal: type[Exception] = Refused  # what an action raises when the run's state refuses it


_engine = _Engine()


def provide(actions: Mapping[str, Action], refusal: type[Exception]) -> None:
    """The engine's actions by name, and the exception they raise when a run's state refuses."""
    _engine.actions, _engine.refusal = dict(actions), refusal


def perform(action: str, run: Run, actor: Actor) -> Run:
    """Do ``action`` to ``run`` as ``actor`` (the engine audits it): the run it leaves, a new one
    for a rerun. Raises Refused when the run's state does not allow it."""
    do = _engine.actions.get(action)
    if do is None:
        raise ImproperlyConfigured(
            f"No engine provides the run action {action!r}: is workflows in INSTALLED_APPS?"
        )
    try:
        return do(run, actor)
    except _engine.refusal as exc:
        raise Refused(str(exc)) from exc
