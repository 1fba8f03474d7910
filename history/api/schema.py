"""The OpenAPI schema's description of API-key authentication, and the docs page."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.views import SpectacularSwaggerView
from rest_framework.request import Request


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "history.auth.ApiKeyAuthentication"
    name = ["bearerAuth", "apiKeyHeader"]

    def get_security_definition(self, auto_schema: Any) -> list[dict[str, Any]]:
        return [
            {"type": "http", "scheme": "bearer", "description": "Authorization: Bearer <api key>"},
            {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
        ]


class SwaggerDocsView(SpectacularSwaggerView):
    """The Swagger page, which is HTML whatever the request's Accept header asks for.

    An Accept header it cannot meet made DRF render the 406 through the page's template, whose
    context reads the user again; with a bad API key that raised inside rendering: a 500.
    """

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        return super().perform_content_negotiation(request, force=True)
