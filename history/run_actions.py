"""Cancel, retry, rerun, retry from a step and answering a hook, as History's buttons and
admin ask for them; the engine does them.

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
from .models import Run, Step

Action = Callable[[Run, Actor], Run]
HookResume = Callable[[Actor, Step, Any], Step]  # actor, the open hook step, payload
# (run, actor, from_step, new input or None) -> the new run; raises Refused or BadInput
RetryFrom = Callable[[Run, Actor, str, "dict[str, Any] | None"], Run]


@dataclass
class _Engine:
    actions: Mapping[str, Action] = field(default_factory=dict)
    resume: HookResume | None = None
    retry_from: RetryFrom | None = None
    # What the engine raises when a run's state refuses: a finished run, an answered hook.
    refusals: tuple[type[Exception], ...] = (Refused,)


_engine = _Engine()


def provide(
    actions: Mapping[str, Action],
    resume: HookResume,
    retry_from: RetryFrom,
    refusals: tuple[type[Exception], ...],
) -> None:
    """The engine's actions by name, its hook resume and retry from a step, and the exceptions
    they raise when a run's state refuses."""
    _engine.actions, _engine.resume, _engine.refusals = dict(actions), resume, refusals
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
    except _engine.refusals as exc:
        raise Refused(str(exc)) from exc


def resume_hook(step: Step, payload: Any, actor: Actor) -> Step:
    """Answer the open hook ``step`` as ``actor`` (the engine audits it). Raises Refused when it
    is not open, pydantic.ValidationError when its schema refuses ``payload``."""
    if _engine.resume is None:
        raise ImproperlyConfigured("No engine resumes hooks: is workflows in INSTALLED_APPS?")
    try:
        return _engine.resume(actor, step, payload)
    except _engine.refusals as exc:
        raise Refused(str(exc)) from exc
