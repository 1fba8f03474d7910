"""What the whole site shares: response headers, and requests refused at the door."""

from __future__ import annotations

import string
from collections.abc import Callable, Iterable, Iterator
from urllib.parse import unquote

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    StreamingHttpResponse,
)
from django.utils.cache import patch_cache_control
from django.utils.html import escape

from .access import actor_for_request, known_actor
from .hook_tokens import candidates, hide_in_text, mentions_hooks
from .models import Step
from .models.accounts import Role

# Endpoints for programs, not people: their answers are JSON, errors included, and carry run
# data, hook URLs and API keys, so no cache may keep them.
MACHINE_PATHS = ("/api/", "/hooks/", "/triggers/")
# Answers that are not text: nothing in them is searched.
BINARY_TYPES = (
    "image/",
    "audio/",
    "video/",
    "font/",
    "application/octet-stream",
    "application/zip",
    "application/gzip",
    "application/pdf",
)


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
        message = (
            f"The request's {where} holds a NUL character (%00), which is never valid here; "
            "remove it."
        )
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
        if (
            (name.startswith("HTTP_") or name == "CONTENT_TYPE")
            and isinstance(value, str)
            and "\x00" in value
        ):
            return f"{name.removeprefix('HTTP_').replace('_', '-').title()} header"
    return None


def hide_for_viewers(text: str) -> str:
    """``text`` as someone below operator may read it: resume URLs and hook tokens masked."""
    tokens = candidates(text)
    if tokens:
        # exclude(token=""): the condition of the partial unique index, which PostgreSQL stops
        # proving by itself past 100 values in the list.
        tokens = set(
            Step.objects.exclude(token="").filter(token__in=tokens).values_list("token", flat=True)
        )
    return hide_in_text(text, tokens)


class HideHookTokensMiddleware:
    """Masks hook tokens and resume URLs in every answer to anyone below operator.

    Every answer but binary ones and static files is searched, streamed ones included, so a
    new page or export cannot forget it. The bytes are read as latin-1, one character per
    byte: the shapes searched are ASCII, and bytes of any other encoding pass unchanged. The
    hook page itself is left alone: its visitor holds the token already.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(("/hooks/", settings.STATIC_URL or "/static/")):
            return response
        if response.get("Content-Type", "").startswith(BINARY_TYPES):
            return response
        if isinstance(response, StreamingHttpResponse):
            if not _sees_tokens(request):
                response.streaming_content = _hidden_stream(response.streaming_content)
                del response["Content-Length"]  # masking changes the length
            return response
        known = known_actor(request)
        if known is not None and known.can(Role.OPERATOR):
            return response  # the view found its actor: no search of the page (5 ms at 70 KB)
        text = response.content.decode("latin-1")
        if not mentions_hooks(text) or _sees_tokens(request):
            return response  # most answers: nothing of a token's shape, no query
        hidden = hide_for_viewers(text)
        if hidden != text:
            response.content = hidden.encode("latin-1")
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response


def _sees_tokens(request: HttpRequest) -> bool:
    actor = actor_for_request(request)
    return actor is not None and actor.can(Role.OPERATOR)


# What a stream holds back at a chunk's end, at most: a token may go on in the next chunk.
HOLD_BACK = 8192


def _hidden_stream(chunks: Iterable[bytes | str]) -> Iterator[bytes]:
    pending = ""
    for chunk in chunks:
        pending += (chunk if isinstance(chunk, bytes) else chunk.encode()).decode("latin-1")
        # Hold back the end, and the hex run the end is in (a longer one is masked whole anyway).
        split = max(0, len(pending) - 64)
        floor = max(0, split - HOLD_BACK)
        while split > floor and pending[split - 1] in string.hexdigits:
            split -= 1
        ready, pending = pending[:split], pending[split:]
        if ready:
            yield (hide_for_viewers(ready) if mentions_hooks(ready) else ready).encode("latin-1")
    if pending:
        yield (hide_for_viewers(pending) if mentions_hooks(pending) else pending).encode("latin-1")
