"""An agent's messages as History shows them: user, assistant, tool calls and results, errors."""

from __future__ import annotations

from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    RetryPromptPart,
    SystemPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_core import to_jsonable_python


def conversation(
    messages: list[ModelMessage], error: BaseException | None = None
) -> list[dict[str, Any]]:
    """Plain JSON messages in order; ``error`` (the agent's failure) is appended as the last one."""
    out: list[dict[str, Any]] = []
    for message in messages:
        if isinstance(message, ModelRequest):
            out += [entry for part in message.parts if (entry := _request_part(part))]
        elif isinstance(message, ModelResponse):
            out.append(_response(message))
    if error is not None:
        out.append({"role": "error", "content": f"{type(error).__name__}: {error}"})
    return out


def _request_part(part: Any) -> dict[str, Any] | None:
    if isinstance(part, SystemPromptPart):
        return {"role": "system", "content": part.content}
    if isinstance(part, UserPromptPart):
        return {"role": "user", "content": _jsonable(part.content)}
    if isinstance(part, ToolReturnPart):
        return {
            "role": "tool",
            "tool_call_id": part.tool_call_id,
            "name": part.tool_name,
            "content": _jsonable(part.content),
        }
    if isinstance(part, RetryPromptPart):
        return {
            "role": "retry",
            "tool_call_id": part.tool_call_id,
            "name": part.tool_name,
            "content": part.model_response(),
        }
    return None


def _response(message: ModelResponse) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "role": "assistant",
        "content": "".join(part.content for part in message.parts if isinstance(part, TextPart)),
        "model": message.model_name,
    }
    calls = [
        {"id": part.tool_call_id, "name": part.tool_name, "arguments": part.args_as_dict()}
        for part in message.parts
        if isinstance(part, ToolCallPart)
    ]
    if calls:
        entry["tool_calls"] = calls
    return entry


def _jsonable(value: Any) -> Any:
    return to_jsonable_python(value, fallback=str)
