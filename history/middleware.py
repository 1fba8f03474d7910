"""Response headers the whole site shares."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

# Endpoints for programs, not people: their answers are JSON, errors included, and carry run
# data, hook URLs and API keys, so no cache may keep them.
MACHINE_PATHS = ("/api/", "/hooks/", "/triggers/")


class NoStoreMiddleware:
    """No browser or shared cache may keep an API, hook or trigger answer, errors included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path_info.startswith(MACHINE_PATHS):
            patch_cache_control(response, no_store=True)
        return response
