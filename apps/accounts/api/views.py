from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import User


class TokenOut(serializers.Serializer):
    token = serializers.CharField()


class MeOut(serializers.ModelSerializer):
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "unit", "role", "is_superuser"]


class TokenView(ObtainAuthToken):
    """Exchange a username and password for an API token (send it as `Authorization: Token <key>`)."""

    @extend_schema(summary="Get an API token", responses={200: TokenOut})
    def post(self, request: Request, *args, **kwargs) -> Response:
        return super().post(request, *args, **kwargs)


class MeView(APIView):
    @extend_schema(summary="The authenticated user, their unit and role", responses=MeOut)
    def get(self, request: Request) -> Response:
        return Response(MeOut(request.user).data)
