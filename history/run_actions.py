"""Cancel, retry, rerun and retry from a step as History's buttons and admin ask for them; the
engine does them.

History never imports the engine (workflows imports history), so the engine app hands its
functions over when it starts: ``provide``, from its AppConfig.ready.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from .access import Actor
from .errors import Refused
from .models import Run

Action = Callable[[Run, Actor], Run]
# (run, actor, from_step, new input or None) -> the new run; raises Refused or BadInput
RetryFrom = Callable[[Run, Actor, str, "dict[str, Any] | None"], Run]


@dataclass
class _Engine:
    actions: Mapping[str, Action] = field(default_factory=dict)
    refusal: type[Exception] = Refused  # what an action raises when the run's state refuses it
    retry_from: RetryFrom | None = None


_engine = _Engine()


def provide(
    actions: Mapping[str, Action], refusal: type[Exception], retry_from: RetryFrom | None = None
) -> None:
    """The engine's actions by name, the exception they raise when a run's state refuses, and
    its retry from a step."""
    _engine.actions, _engine.refusal = dict(actions), refusal
    _engine.retry_from = retry_from


def retry_from_step(run: Run, actor: Actor, from_step: str, input: dict[str, Any] | None) -> Run:
    """A new run from ``from_step`` of ``run`` (the engine audits it), with ``input`` in place of
    the original's when given. Raises Refused, or BadInput for input the workflow refuses."""
    if _engine.retry_from is None:
        raise ImproperlyConfigured("No engine provides retry from a step: is workflows installed?")
    return _engine.retry_from(run, actor, from_step, input)


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
