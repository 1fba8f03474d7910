"""The offline ``test`` model (KEYSTROKE_OFFLINE_MODELS=1): pydantic-ai's TestModel, with
made-up arguments that also pass string formats, so actions taking an email accept them, and
that take a field's first example where it has one (the workspace tools write, then run, a
script)."""

from __future__ import annotations

import re
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, UserPromptPart
from pydantic_ai.models import ModelRequestParameters
from pydantic_ai.models.test import TestModel
from pydantic_ai.settings import ModelSettings
from pydantic_ai.tools import ToolDefinition

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
FORMATS = {
    "email": "ada@example.com",
    "uri": "https://example.com/",
    "date-time": "2024-01-01T00:00:00Z",
}


class OfflineModel(TestModel):
    """Deterministic: calls every tool once, then answers with schema-valid output. No network."""

    def __init__(self) -> None:
        super().__init__(model_name="test")
        self._emails: list[str] = []

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        prompts = [
            part.content
            for message in messages
            if isinstance(message, ModelRequest)
            for part in message.parts
            if isinstance(part, UserPromptPart) and isinstance(part.content, str)
        ]
        # an email in the prompt is the one tools get
        self._emails = EMAIL.findall(" ".join(prompts))
        return await super().request(messages, model_settings, model_request_parameters)

    def gen_tool_args(self, tool_def: ToolDefinition) -> Any:
        schema = tool_def.parameters_json_schema
        return self._fill(super().gen_tool_args(tool_def), schema, schema.get("$defs", {}))

    def _fill(self, value: Any, schema: dict[str, Any], defs: dict[str, Any]) -> Any:
        if "$ref" in schema:
            schema = defs.get(schema["$ref"].rsplit("/", 1)[-1], {})
        if isinstance(value, dict):
            properties = schema.get("properties", {})
            return {
                key: self._fill(item, properties.get(key, {}), defs) for key, item in value.items()
            }
        if schema.get("examples"):  # what the tool's author says a call looks like
            return schema["examples"][0]
        if isinstance(value, str) and schema.get("format") in FORMATS:
            if schema["format"] == "email" and self._emails:
                return self._emails[0]
            return FORMATS[schema["format"]]
        return value
