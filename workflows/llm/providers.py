"""Model names (``provider:model``), provider keys, and the offline test model."""

from __future__ import annotations

import os
from functools import cache
from typing import Any

from pydantic_ai.models import Model

from keystroke_site.env import env_bool

from ..errors import MissingModelKey
from .offline import OfflineModel

OFFLINE_ENV = "KEYSTROKE_OFFLINE_MODELS"
OFFLINE_MODEL = "test"
KEY_ENV = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def check_model_name(name: object, what: str) -> str:
    """``provider:model`` with a provider Keystroke knows, or ValueError saying what to write."""
    provider, _, model = name.partition(":") if isinstance(name, str) else ("", "", "")
    if provider not in KEY_ENV or not model:
        raise ValueError(
            f"{what}: model={name!r} is not a model name; write provider:model with provider "
            f"{' or '.join(KEY_ENV)}, e.g. 'openai:gpt-4o-mini' or 'anthropic:claude-sonnet-4-5'."
        )
    return name  # type: ignore[return-value]


def offline() -> bool:
    return env_bool(OFFLINE_ENV, False)


def used_name(name: str) -> str:
    """The model a call will actually use: the offline test model when KEYSTROKE_OFFLINE_MODELS is
    on.
    """
    return OFFLINE_MODEL if offline() else name


@cache
def planning_model(name: str) -> Model:
    """A model of the right kind for the agent loop to shape requests with; it never sends one."""
    if name == OFFLINE_MODEL:
        return OfflineModel()
    return _build(name, api_key="unused")


def request_model(name: str, timeout: float | None = None) -> Model:
    """A fresh model that sends requests: it owns an HTTP client for the event loop it is used
    on.
    """
    if name == OFFLINE_MODEL:
        return OfflineModel()
    provider, _, _ = name.partition(":")
    variable = KEY_ENV[provider]
    key = os.environ.get(variable, "")
    if not key and not (provider == "openai" and os.environ.get("OPENAI_BASE_URL")):
        raise MissingModelKey(
            f"Model {name} needs an API key: set {variable} in the worker's environment "
            f"(or {OFFLINE_ENV}=1 to use the offline test model)."
        )
    return _build(name, api_key=key or "not-needed", timeout=timeout)


def _build(name: str, api_key: str, timeout: float | None = None) -> Model:
    provider, _, model = name.partition(":")
    # Retries are the step's (durable, with backoff), so the SDK's own are off.
    if provider == "openai":
        from openai import AsyncOpenAI
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        base_url = os.environ.get("OPENAI_BASE_URL") or None
        openai = AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0, **_timeout(timeout))
        return OpenAIChatModel(model, provider=OpenAIProvider(openai_client=openai))
    from anthropic import AsyncAnthropic
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.providers.anthropic import AnthropicProvider

    base_url = os.environ.get("ANTHROPIC_BASE_URL") or None
    client = AsyncAnthropic(api_key=api_key, base_url=base_url, max_retries=0, **_timeout(timeout))
    return AnthropicModel(model, provider=AnthropicProvider(anthropic_client=client))


def _timeout(seconds: float | None) -> dict[str, Any]:
    # The step's timeout also ends the HTTP request, so a call abandoned by the engine is not left
    # running.
    return {"timeout": seconds} if seconds else {}
