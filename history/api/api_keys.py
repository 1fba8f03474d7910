"""API keys over the API: create (shown once), list, revoke. Organization admins only."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from ..errors import Conflict
from ..keys import issue_api_key, revoke_api_key
from ..models import ApiKey
from ..models.accounts import Role
from ..permissions import require_role
from .base import ActorAPIView


class ApiKeySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", read_only=True)

    class Meta:
        model = ApiKey
        fields = ["id", "name", "prefix", "role", "created_at", "last_used_at", "revoked_at"]


class NewApiKeySerializer(ApiKeySerializer):
    key = serializers.CharField(
        read_only=True, help_text="The key itself: shown in this response only."
    )

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class ApiKeyRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    role = serializers.ChoiceField(choices=Role.choices, default=Role.OPERATOR)


class ApiKeyPageSerializer(serializers.Serializer):
    results = ApiKeySerializer(many=True)


class ApiKeyListView(ActorAPIView):
    @extend_schema(responses=ApiKeyPageSerializer, summary="List the organization's API keys")
    def get(self, request: Request) -> Response:
        require_role(self.actor, Role.ADMIN)
        keys = ApiKey.objects.filter(organization=self.actor.organization).order_by("-created_at")
        return Response({"results": ApiKeySerializer(keys, many=True).data})

    @extend_schema(
        request=ApiKeyRequestSerializer,
        responses={201: NewApiKeySerializer},
        summary="Create an API key",
    )
    def post(self, request: Request) -> Response:
        require_role(self.actor, Role.ADMIN)
        form = ApiKeyRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        key, raw = issue_api_key(
            self.actor, form.validated_data["name"], form.validated_data["role"]
        )
        key.key = raw  # type: ignore[attr-defined]  # shown once, never stored
        return Response(NewApiKeySerializer(key).data, status=status.HTTP_201_CREATED)


class ApiKeyRevokeView(ActorAPIView):
    @extend_schema(request=None, responses=ApiKeySerializer, summary="Revoke an API key")
    def post(self, request: Request, pk: str) -> Response:
        require_role(self.actor, Role.ADMIN)
        try:
            uid = uuid.UUID(hex=pk.removeprefix("key_"))
        except ValueError:
            raise NotFound(
                f"{pk!r} is not an API key id: they look like key_<32 hex digits>."
            ) from None
        key = ApiKey.objects.filter(organization=self.actor.organization, uid=uid).first()
        if key is None:
            raise NotFound(f"No API key {pk} in your organization.")
        if not revoke_api_key(self.actor, key):
            raise Conflict(f"API key {pk} was already revoked.")
        return Response(ApiKeySerializer(key).data)
