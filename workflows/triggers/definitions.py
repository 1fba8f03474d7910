"""Trigger definitions: webhooks, schedules and polls, attached to workflows or agents."""

from __future__ import annotations

import builtins
import inspect
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from ..definitions import SLUG, Definition, _caller_file
from ..registry import registry
from .cron import check_cron
from .senders import SCHEMES

SLUG_LIMIT = 60  # an attachment id, <trigger>:<target>, must fit the run's trigger_id
Filter = Callable[[Any], bool]
Transform = Callable[[Any], Any]


# What a schedule's slot does while its target is paused: start a run that waits in the queue
# until the target is resumed (nothing is lost), or let the slot pass, recorded on the trigger.
ON_PAUSE = ("queue", "skip")


class Attachment:
    """A trigger starting one target; its id is ``<trigger-slug>:<target-slug>``."""

    def __init__(self, trigger: Trigger, target: Definition, transform: Transform | None) -> None:
        self.trigger, self.target, self.transform = trigger, target, transform
        self.id = f"{trigger.slug}:{target.slug}"
        self.on_pause = "queue"  # webhooks and polls always queue: their events are not repeated

    def __repr__(self) -> str:
        return f"<Attachment {self.id}>"

    def input_for(self, value: Any) -> dict[str, Any]:
        """The target's validated input for one event; raises pydantic.ValidationError."""
        return self.target.validate_input(self.transform(value) if self.transform else value)


class Trigger:
    kind = "trigger"
    type = ""

    def __init__(
        self, slug: str, filter: Filter | None, name: str | None, description: str, source: str
    ) -> None:
        what = f"define_{self.type}(slug={slug!r})"
        if not isinstance(slug, str) or not SLUG.match(slug) or len(slug) > SLUG_LIMIT:
            raise ValueError(
                f"{what}: a slug is up to {SLUG_LIMIT} lowercase letters, digits and dashes, e.g. "
                "'new-signup'."
            )
        if filter is not None and not callable(filter):
            raise ValueError(
                f"{what}: filter must be a function taking the event and returning True or False."
            )
        self.slug, self.filter, self.source = slug, filter, source
        self.name, self.description = name or slug.replace("-", " ").capitalize(), description
        self.attachments: list[Attachment] = []

    def attach(self, target: Definition, transform: Transform | None = None) -> Attachment:
        """Start ``target`` (a workflow or an agent) on every event; ``transform`` maps the event to
        its input.
        """
        what = f"{self.slug}.attach({target!r})"
        if not isinstance(target, Definition) or target.kind not in ("workflow", "agent"):
            raise ValueError(
                f"{what}: attach a workflow or an agent (made by define_workflow or define_agent)."
            )
        if transform is not None and not callable(transform):
            raise ValueError(
                f"{what}: transform must be a function taking the event and returning the input."
            )
        if any(a.target is target for a in self.attachments):
            raise ValueError(f"{what}: {target.slug} is already attached to trigger {self.slug}.")
        attachment = Attachment(self, target, transform)
        self.attachments.append(attachment)
        return attachment

    def accepts(self, event: Any) -> bool:
        return self.filter is None or bool(self.filter(event))

    def describe(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "type": self.type,
            "name": self.name,
            "description": self.description,
        }


class Webhook(Trigger):
    """``POST /triggers/<endpoint>`` with a body matching ``payload`` starts the attached
    targets.
    """

    type = "webhook"

    def __init__(
        self, *, endpoint: str, payload: builtins.type[BaseModel], verify: str, **common: Any
    ) -> None:
        super().__init__(**common)
        what = f"define_webhook(slug={self.slug!r})"
        if verify not in SCHEMES:
            raise ValueError(
                f"{what}, verify={verify!r}: verify is one of "
                f"{', '.join(repr(name) for name in SCHEMES)}: how the sender signs its deliveries."
            )
        if not isinstance(endpoint, str) or not SLUG.match(endpoint):
            raise ValueError(
                f"{what}, endpoint={endpoint!r}: an endpoint is a URL segment like 'signup'."
            )
        if not (isinstance(payload, type) and issubclass(payload, BaseModel)):
            raise ValueError(
                f"{what}, payload={payload!r}: payload must be a pydantic BaseModel subclass."
            )
        self.endpoint, self.payload, self.verify = endpoint, payload, verify

    def describe(self) -> dict[str, Any]:
        return super().describe() | {
            "endpoint": self.endpoint,
            "verify": self.verify,
            "payload_schema": self.payload.model_json_schema(),
        }


class Schedule(Trigger):
    """Starts the attached targets on a cron, in a time zone, with a static payload."""

    type = "schedule"

    def __init__(
        self, *, cron: str, timezone: str, payload: dict[str, Any] | None, **common: Any
    ) -> None:
        super().__init__(**common)
        what = f"define_schedule(slug={self.slug!r})"
        self.zone = check_cron(what, cron, timezone)
        if payload is not None and not isinstance(payload, dict):
            raise ValueError(
                f"{what}, payload={payload!r}: payload is the input as a dict, e.g. "
                f"{{'week': 'last'}}."
            )
        self.cron, self.timezone, self.payload = cron, timezone, payload or {}

    def attach(
        self, target: Definition, transform: Transform | None = None, on_pause: str = "queue"
    ) -> Attachment:
        """Start ``target`` on every slot; ``on_pause`` says what a slot does while the target is
        paused: ``"queue"`` (the default) starts a run that waits for the resume, ``"skip"`` lets
        the slot pass and records it on the trigger.
        """
        if on_pause not in ON_PAUSE:
            raise ValueError(
                f"{self.slug}.attach({target!r}, on_pause={on_pause!r}): on_pause is 'queue' "
                "(slots start runs that wait until the target is resumed) or 'skip' (slots "
                "pass while it is paused)."
            )
        attachment = super().attach(target, transform)
        attachment.on_pause = on_pause
        try:  # the payload is static: check it now rather than at every slot
            attachment.input_for(self.payload)
        except Exception as exc:  # a ValidationError, or a transform that raised
            self.attachments.remove(attachment)
            raise ValueError(
                f"{self.slug}.attach({target.slug}): the payload is not valid input: {exc}"
            ) from None
        return attachment

    def describe(self) -> dict[str, Any]:
        return super().describe() | {
            "cron": self.cron,
            "timezone": self.timezone,
            "payload": self.payload,
        }


class Poll(Trigger):
    """Calls ``run(state) -> (items, new_state)`` on a cron; each item (after ``filter``) starts a
    run.
    """

    type = "poll"

    def __init__(
        self, *, cron: str, timezone: str, run: Any, state: builtins.type[BaseModel], **common: Any
    ) -> None:
        super().__init__(**common)
        what = f"define_poll(slug={self.slug!r})"
        self.zone = check_cron(what, cron, timezone)
        if not callable(run) or len(inspect.signature(run).parameters) != 1:
            raise ValueError(
                f"{what}: run must be a function `run(state) -> (items, new_state)`, got {run!r}."
            )
        if not (isinstance(state, type) and issubclass(state, BaseModel)):
            raise ValueError(
                f"{what}, state={state!r}: state must be a pydantic BaseModel subclass (the "
                "cursor)."
            )
        self.cron, self.timezone, self.fn, self.state = cron, timezone, run, state

    def describe(self) -> dict[str, Any]:
        return super().describe() | {"cron": self.cron, "timezone": self.timezone}


def define_webhook(
    *,
    slug: str,
    endpoint: str,
    payload: type[BaseModel],
    filter: Filter | None = None,
    name: str | None = None,
    description: str = "",
    verify: str = "keystroke",
) -> Webhook:
    """A webhook trigger: ``POST /triggers/<endpoint>``, authenticated by its secret.

    ``verify`` is how deliveries prove it: ``"keystroke"`` (``?token=`` or
    ``X-Keystroke-Signature``), ``"standard-webhooks"`` (Svix and the Standard Webhooks spec),
    ``"github"`` or ``"stripe"``.
    """
    return _register(
        Webhook(
            slug=slug,
            endpoint=endpoint,
            payload=payload,
            verify=verify,
            filter=filter,
            name=name,
            description=description,
            source=_caller_file(),
        )
    )


def define_schedule(
    *,
    slug: str,
    cron: str,
    timezone: str = "UTC",
    payload: dict[str, Any] | None = None,
    name: str | None = None,
    description: str = "",
) -> Schedule:
    """A schedule trigger: each cron slot in ``timezone`` fires once with ``payload``."""
    return _register(
        Schedule(
            slug=slug,
            cron=cron,
            timezone=timezone,
            payload=payload,
            filter=None,
            name=name,
            description=description,
            source=_caller_file(),
        )
    )


def define_poll(
    *,
    slug: str,
    cron: str,
    run: Any,
    state: type[BaseModel],
    filter: Filter | None = None,
    timezone: str = "UTC",
    name: str | None = None,
    description: str = "",
) -> Poll:
    """A poll trigger: ``run(state)`` on the cron; one run per new item; the cursor saved after."""
    return _register(
        Poll(
            slug=slug,
            cron=cron,
            timezone=timezone,
            run=run,
            state=state,
            filter=filter,
            name=name,
            description=description,
            source=_caller_file(),
        )
    )


def _register(trigger: Any) -> Any:
    registry.add(trigger)
    return trigger
