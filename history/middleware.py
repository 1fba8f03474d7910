"""What the whole site shares: response headers, and requests refused at the door."""

from __future__ import annotations

import codecs
import string
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import unquote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.html import escape

from .access import actor_for_request
from .hook_tokens import candidates, hide_in_text, mentions_hooks
from .models import Step
from .models.accounts import Role

# Endpoints for programs, not people: their answers are JSON, errors included, and carry run
# data, hook URLs and API keys, so no cache may keep them.
MACHINE_PATHS = ("/api/", "/hooks/", "/triggers/")
# Answers that are not text: nothing in them is searched.
BINARY_TYPES = ("image/", "audio/", "video/", "font/", "application/octet-stream", "application/zip",
                "application/gzip", "application/pdf")  # fmt: skip


class NoStoreMiddleware:
    """No browser or shared cache may keep an API, hook or trigger answer, errors included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(MACHINE_PATHS):
            patch_cache_control(response, no_store=True)
        return response


class RefuseNulMiddleware:
    """A NUL character in the path, the query or a header is refused before anything reads it.

    No URL, header or lookup of this app can hold one, and PostgreSQL refuses it in text, so
    letting it through turned such requests into 500s wherever the value reached a query.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = _where_nul(request)
        if where is None:
            return self.get_response(request)
        message = f"The request's {where} holds a NUL character (%00), which is never valid here; remove it."
        if request.path_info.startswith(MACHINE_PATHS):
            body = {"error": {"type": "invalid_request", "message": message, "details": {}}}
            return JsonResponse(body, status=400)
        return HttpResponseBadRequest(escape(message), content_type="text/plain; charset=utf-8")


def _where_nul(request: HttpRequest) -> str | None:
    if "\x00" in request.path_info:
        return "path"
    if "\x00" in unquote(request.META.get("QUERY_STRING", "")):
        return "query"
    for name, value in request.META.items():
        if (name.startswith("HTTP_") or name == "CONTENT_TYPE") and isinstance(value, str) and "\x00" in value:
            return f"{name.removeprefix('HTTP_').replace('_', '-').title()} header"
    return None


def hide_for_viewers(text: str) -> str:
    """``text`` as someone below operator may read it: resume URLs and hook tokens masked."""
    found = candidates(text)
    tokens = set(Step.objects.filter(token__in=found).values_list("token", flat=True)) if found else found
    return hide_in_text(text, tokens)


class HideHookTokensMiddleware:
    """Masks hook tokens and resume URLs in every answer to anyone below operator.

    Every answer but binary ones and static files is searched, streamed ones included, so a
    new page or export cannot forget it. The hook page itself is left alone: its visitor holds
    the token already.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(("/hooks/", settings.STATIC_URL or "/static/")):
            return response
        if response.get("Content-Type", "").startswith(BINARY_TYPES):
            return response
        charset = response.charset or "utf-8"
        sees = _SeesTokens(request)
        if response.streaming:
            response.streaming_content = _hidden_stream(response.streaming_content, charset, sees)
            return response
        text = response.content.decode(charset, errors="replace")
        if not mentions_hooks(text) or sees():
            return response  # most answers: nothing of a token's shape, no query
        hidden = hide_for_viewers(text)
        if hidden != text:
            response.content = hidden.encode(charset)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response


class _SeesTokens:
    """Whether the request's caller may see hook tokens, asked once and only when needed."""

    def __init__(self, request: HttpRequest) -> None:
        self.request, self.answer = request, None

    def __call__(self) -> bool:
        if self.answer is None:
            actor = actor_for_request(self.request)
            self.answer = actor is not None and actor.can(Role.OPERATOR)
        return self.answer


def _hidden_stream(chunks: Iterable[bytes | str], charset: str, sees: _SeesTokens) -> Iterator[bytes]:
    decoder = codecs.getincrementaldecoder(charset)(errors="replace")
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk if isinstance(chunk, bytes) else chunk.encode(charset))
        # Hold back the end, and the whole of a hex run the end is in: a token may go on.
        split = max(0, len(pending) - 64)
        while split > 0 and pending[split - 1] in string.hexdigits:
            split -= 1
        ready, pending = pending[:split], pending[split:]
        if ready:
            yield (hide_for_viewers(ready) if mentions_hooks(ready) and not sees() else ready).encode(charset)
    pending += decoder.decode(b"", final=True)
    if pending:
        yield (hide_for_viewers(pending) if mentions_hooks(pending) and not sees() else pending).encode(charset)
