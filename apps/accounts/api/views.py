from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts import throttling
from apps.accounts.auth import StaffTokenAuthentication
from apps.accounts.models import User
from apps.accounts.tokens import issue_token, revoke_all_tokens, revoke_token

WRONG_CREDENTIALS = gettext_lazy("Unable to log in with provided credentials.")


class TokenIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=1024, trim_whitespace=False, style={"input_type": "password"})


class TokenOut(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField()


class MeOut(serializers.ModelSerializer):
    # Plain text: machine clients' service accounts (``client:<name>``) fall outside the sign-up pattern.
    username = serializers.CharField(read_only=True)
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    role_name = serializers.CharField(source="get_role_display", read_only=True)

    class Meta:
        model = User
        fields = ["username", "first_name", "last_name", "unit", "role", "role_name", "is_superuser"]


class TokenView(APIView):
    """Exchange a username and password for a token for this device (send it as `Authorization: Token
    <token>`). Failed attempts are throttled per user name and per address (429 with `Retry-After`)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        summary="Get an API token for this device",
        request=TokenIn,
        responses={
            200: TokenOut,
            400: OpenApiResponse(description="Missing fields or wrong credentials (`validation_error`)."),
            429: OpenApiResponse(description="Too many failed attempts (`throttled`, `Retry-After`)."),
        },
    )
    def post(self, request: Request, *args, **kwargs) -> Response:
        given = TokenIn(data=request.data)
        given.is_valid(raise_exception=True)
        username, password = given.validated_data["username"], given.validated_data["password"]
        try:
            attempt = throttling.begin_attempt(username, throttling.client_address(request))
        except throttling.SignInThrottled as refused:
            raise exceptions.Throttled(
                wait=refused.wait, detail=gettext("Too many failed sign-in attempts.")
            ) from None
        user = authenticate(request._request, username=username, password=password)
        if user is None:
            raise exceptions.ValidationError({"non_field_errors": [WRONG_CREDENTIALS]}, code="authorization")
        throttling.attempt_succeeded(attempt)
        token, expiry = issue_token(user)
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        return Response(TokenOut({"token": token, "expiry": expiry}).data)


class HasStaffToken(IsAuthenticated):
    """Signing out revokes a token, so the request must have come with one (not a session)."""

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.auth, AuthToken):
            raise exceptions.NotAuthenticated(
                gettext("Send the token to revoke: `Authorization: Token <token>`.")
            )
        return super().has_permission(request, view)


class LogoutView(APIView):
    """Revoke the token this request carries (sign this device out)."""

    authentication_classes = [StaffTokenAuthentication]
    permission_classes = [HasStaffToken]

    @extend_schema(summary="Revoke this token", request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        revoke_token(request.auth)
        user_logged_out.send(sender=type(request.user), request=request._request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Revoke every token of the user (sign out on all devices)."""

    authentication_classes = [StaffTokenAuthentication]
    permission_classes = [HasStaffToken]

    @extend_schema(summary="Revoke all of the user's tokens", request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        revoke_all_tokens(request.user)
        user_logged_out.send(sender=type(request.user), request=request._request, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    @extend_schema(summary="The authenticated user, their unit and role", responses=MeOut)
    def get(self, request: Request) -> Response:
        return Response(MeOut(request.user).data)
