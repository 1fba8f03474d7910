"""One model request as a durable step: executed once, recorded, answered from the log on replay."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from genai_prices import calc_price
from opentelemetry import trace
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelMessage, ModelMessagesTypeAdapter, ModelResponse
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.models.wrapper import WrapperModel
from pydantic_ai.settings import ModelSettings

from ..engine import StepContext, StepKind, current_runtime
from ..errors import ModelRefused
from ..retry import RetryPolicy
from .providers import OFFLINE_MODEL, planning_model, request_model

# Answers that another attempt would not change: a bad request, a bad key, no such model.
PERMANENT_STATUSES = {400, 401, 403, 404, 422}
MILLION = Decimal(1_000_000)


def dump_messages(messages: list[ModelMessage]) -> list[Any]:
    return ModelMessagesTypeAdapter.dump_python(messages, mode="json")


def load_response(data: Any) -> ModelResponse:
    response = ModelMessagesTypeAdapter.validate_python([data])[0]
    assert isinstance(response, ModelResponse)
    return response


class ModelCall:
    """The engine's target for one request: ``execute`` runs in a step thread, on its own event
    loop.
    """

    kind = "model"

    def __init__(
        self,
        name: str,
        messages: list[ModelMessage],
        settings: ModelSettings | None,
        parameters: ModelRequestParameters,
        timeout: Any,
        retries: RetryPolicy | None,
    ) -> None:
        self.slug, self.name, self.timeout, self.retries = name, name, timeout, retries
        self.messages, self.settings, self.parameters = messages, settings, parameters

    def execute(self, input: Any, ctx: StepContext) -> dict[str, Any]:
        response = asyncio.run(self.request())
        line = usage_line(self.name, response)
        ctx.usage.append(line)
        trace.get_current_span().set_attributes(genai_attributes(self.name, response, line))
        return {"response": dump_messages([response])[0]}

    async def request(self) -> ModelResponse:
        model = request_model(self.name, self.timeout.total_seconds() if self.timeout else None)
        try:
            async with model:
                return await model.request(self.messages, self.settings, self.parameters)
        except ModelHTTPError as exc:
            if exc.status_code in PERMANENT_STATUSES:
                raise ModelRefused(
                    f"{self.name} answered {exc.status_code}: {exc.body or exc.message}"
                ) from exc
            raise


class DurableModel(WrapperModel):
    """The model an agent runs with: inside a workflow each request is a ``step:model#n``."""

    def __init__(self, name: str, timeout: Any = None, retries: RetryPolicy | None = None) -> None:
        super().__init__(planning_model(name))
        self.name, self.step_timeout, self.step_retries = name, timeout, retries

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        call = ModelCall(
            self.name,
            messages,
            model_settings,
            model_request_parameters,
            self.step_timeout,
            self.step_retries,
        )
        runtime = current_runtime()
        if runtime is None:  # an agent prompted outside a workflow: a plain call, nothing recorded
            return await call.request()
        # The step's input is what this turn adds (the user's message or the tool results), not the
        # whole history again: the history is the earlier steps.
        input = {
            "model": self.name,
            "request": dump_messages(messages[-1:])[0] if messages else None,
        }
        attributes = {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": self.name.partition(":")[2] or self.name,
        }
        output = await runtime.run_step(StepKind.MODEL, "model", call, input, attributes)
        return load_response(output["response"])


def usage_line(name: str, response: ModelResponse) -> dict[str, Any]:
    """The usage line of one model call: tokens, unit prices and cost from genai-prices."""
    provider, _, requested = name.partition(":")
    model = response.model_name or requested or name
    tokens_in, tokens_out = response.usage.input_tokens, response.usage.output_tokens
    price_in = price_out = cost = Decimal(0)
    if name != OFFLINE_MODEL:
        try:
            price = calc_price(response.usage, model, provider_id=provider)
        except LookupError:
            pass  # a model the price table does not know yet is recorded at no cost
        else:
            cost = price.total_price
            price_in = price.input_price / tokens_in if tokens_in else Decimal(0)
            price_out = price.output_price / tokens_out if tokens_out else Decimal(0)
    return {
        "kind": "model",
        "provider": "" if name == OFFLINE_MODEL else provider,
        "model": model,
        "label": OFFLINE_MODEL if name == OFFLINE_MODEL else f"{provider}:{model}",
        "tokens_in": tokens_in,
        "tokens_out": tokens_out,
        "quantity": "1",
        "unit": "call",
        "unit_price_in": str(price_in),
        "unit_price_out": str(price_out),
        "cost": str(cost),
    }


def genai_attributes(name: str, response: ModelResponse, line: dict[str, Any]) -> dict[str, Any]:
    """OpenTelemetry GenAI semantic-convention attributes of a model call's span."""
    provider = line["provider"] or OFFLINE_MODEL
    attributes: dict[str, Any] = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": provider,
        "gen_ai.system": provider,
        "gen_ai.request.model": name.partition(":")[2] or name,
        "gen_ai.response.model": line["model"],
        "gen_ai.usage.input_tokens": line["tokens_in"],
        "gen_ai.usage.output_tokens": line["tokens_out"],
        "keystroke.cost_usd": line["cost"],
    }
    if response.provider_response_id:
        attributes["gen_ai.response.id"] = response.provider_response_id
    if response.finish_reason:
        attributes["gen_ai.response.finish_reasons"] = [response.finish_reason]
    return attributes
