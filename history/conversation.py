"""An agent run's conversation shaped for the Overview tab: text to show for each message."""

from __future__ import annotations

import json
from typing import Any


def display_messages(conversation: list[Any]) -> list[dict[str, Any]]:
    """Each message with its content and each tool call's arguments as readable text."""
    shown = []
    for message in conversation:
        if not isinstance(message, dict):
            message = {"role": "assistant", "content": message}
        calls = [
            {"name": call.get("name", "?"), "arguments_text": _text(call.get("arguments"))}
            for call in message.get("tool_calls") or []
            if isinstance(call, dict)
        ]
        shown.append(
            {
                **message,
                "role": str(message.get("role") or "tool"),
                "text": _text(message.get("content")),
                "tool_calls": calls,
            }
        )
    return shown


def _text(value: Any) -> str:
    if value is None or value == "":
        return ""
    return value if isinstance(value, str) else json.dumps(value, indent=2, ensure_ascii=False)
