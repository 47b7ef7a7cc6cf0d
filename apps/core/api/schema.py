"""OpenAPI pieces shared by every app: the error body and the responses that use it."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class FieldErrorOut(serializers.Serializer):
    field = serializers.CharField(
        allow_null=True, help_text="Dotted path of the field at fault; null for the request."
    )
    code = serializers.CharField(help_text="Stable, machine-readable code, e.g. `unknown_procedure`.")
    message = serializers.CharField()


class ErrorOut(serializers.Serializer):
    code = serializers.CharField(help_text="Stable, machine-readable code, e.g. `validation_error`.")
    message = serializers.CharField()
    errors = FieldErrorOut(many=True)


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorOut, description=description)


COMMON_ERRORS = {
    400: error("Invalid input (`validation_error`, `malformed_json`, or a domain code)"),
    401: error("`not_authenticated` or `authentication_failed`"),
    403: error("`permission_denied` or `unit_out_of_scope`"),
    404: error("`not_found`: nothing with that key in the user's scope"),
    413: error("`payload_too_large`"),
}
