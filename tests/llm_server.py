"""A loopback OpenAI-compatible server: the real provider path, with scripted answers.

Started by a test on 127.0.0.1; Keystroke reaches it through OPENAI_BASE_URL exactly as it
would reach api.openai.com or any compatible endpoint. Answers are taken in order from a
script; every request body and its headers are kept for the test to inspect.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODEL = "gpt-4o-mini"


def text_reply(text: str, tokens_in: int = 1000, tokens_out: int = 500) -> dict[str, Any]:
    return _completion({"role": "assistant", "content": text}, "stop", tokens_in, tokens_out)


def tool_reply(
    name: str, arguments: dict[str, Any], tokens_in: int = 1000, tokens_out: int = 500
) -> dict[str, Any]:
    call = {
        "id": f"call_{name}",
        "type": "function",
        "function": {"name": name, "arguments": json.dumps(arguments)},
    }
    return _completion(
        {"role": "assistant", "content": None, "tool_calls": [call]},
        "tool_calls",
        tokens_in,
        tokens_out,
    )


def _completion(
    message: dict[str, Any], finish: str, tokens_in: int, tokens_out: int
) -> dict[str, Any]:
    return {
        "id": "chatcmpl-loopback",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": MODEL,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": tokens_in,
            "completion_tokens": tokens_out,
            "total_tokens": tokens_in + tokens_out,
        },
    }


class LoopbackOpenAI:
    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, Any]]] = []
        self.requests: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self._lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def answer(self, *replies: dict[str, Any], status: int = 200) -> None:
        with self._lock:
            self.script += [(status, reply) for reply in replies]

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with owner._lock:
                    owner.requests.append(body)
                    owner.headers.append(dict(self.headers))
                    status, reply = (
                        owner.script.pop(0)
                        if owner.script
                        else (500, {"error": {"message": "no answer"}})
                    )
                data = json.dumps(reply).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


@contextmanager
def loopback_openai() -> Iterator[LoopbackOpenAI]:
    server = LoopbackOpenAI()
    thread = threading.Thread(target=server.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
