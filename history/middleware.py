"""What the whole site shares: response headers, and requests refused at the door."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import unquote

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.cache import patch_cache_control
from django.utils.html import escape

from .access import actor_for_request
from .hook_tokens import TOKEN_SHAPE, hide_in_text
from .models import Step
from .models.accounts import Role

# Endpoints for programs, not people: their answers are JSON, errors included, and carry run
# data, hook URLs and API keys, so no cache may keep them.
MACHINE_PATHS = ("/api/", "/hooks/", "/triggers/")
TEXT_TYPES = ("text/", "application/json", "application/yaml", "application/javascript")


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


def tokens_among(text: str) -> set[str]:
    """The words of ``text`` that are hook tokens, in one query (none when nothing has their shape)."""
    candidates = {word.lower() for word in TOKEN_SHAPE.findall(text)}
    if not candidates:
        return set()
    return set(Step.objects.filter(token__in=candidates).values_list("token", flat=True))


class HideHookTokensMiddleware:
    """Masks hook tokens and resume URLs in every answer to anyone below operator."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith("/hooks/") or response.streaming:
            return response
        if not response.get("Content-Type", "").startswith(TEXT_TYPES):
            return response
        charset = response.charset or "utf-8"
        text = response.content.decode(charset, errors="replace")
        if not TOKEN_SHAPE.search(text):
            return response  # most answers: no word of a token's shape, nothing to ask the database
        actor = actor_for_request(request)
        if actor is not None and actor.can(Role.OPERATOR):
            return response
        hidden = hide_in_text(text, tokens_among(text))
        if hidden != text:
            response.content = hidden.encode(charset)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response
