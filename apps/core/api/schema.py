"""OpenAPI pieces shared by every app: the error body, and the rules that keep the schema truthful.

The schema is a contract that clients and the property-based test (tests/contract/) rely on, so the
rules that hold for every operation are written once here, in :class:`AutoSchema`, instead of being
repeated per endpoint:

- every operation documents the errors it can actually answer (:meth:`AutoSchema.error_statuses`), all
  in the one error format; a view may still declare a status itself (a more precise description, or
  another body) and its declaration wins;
- a read-only field shows what its model column may hold: ``""`` for a blank choice (``timeliness``
  before a dossier ends), ``null`` for a nullable column (a province's ``parent``);
- path parameters carry the pattern of the keys they name (:data:`PATH_PATTERNS`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
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
    request_id = serializers.CharField(
        required=False,
        allow_null=True,
        help_text="5xx only: the request's id, which the logs carry too (also the `X-Request-ID` header).",
    )


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorOut, description=description)


# What each error status means in this API; every one answers the body above.
ERROR_DESCRIPTIONS = {
    400: "Invalid input (`validation_error`, `malformed_json`, or a domain code)",
    401: "`not_authenticated` or `authentication_failed`",
    403: "`permission_denied`, `insufficient_scope` or `unit_out_of_scope`",
    404: "`not_found`: nothing with that key in the caller's scope, or a page past the end",
    409: "`illegal_transition` or `idempotency_in_progress`: conflicts with the current state",
    413: "`payload_too_large`",
    415: "`unsupported_media_type`: send JSON, form or multipart data",
    422: "`idempotency_key_reused`: this Idempotency-Key was sent with another request",
    429: "`throttled`: too many requests; retry after `Retry-After` seconds",
    503: "The database or another dependency is unavailable; retry after `Retry-After` seconds",
}

# For views that spread it into their own ``responses`` (the schema class adds these, and the statuses
# that depend on the operation, anyway).
COMMON_ERRORS = {status: error(ERROR_DESCRIPTIONS[status]) for status in (400, 401, 403)}

RETRY_AFTER = {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again."}
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PAGE_PARAMETERS = frozenset({"page", "cursor"})
# apps.integrations.idempotency answers every POST of a machine client that sends this header.
IDEMPOTENCY_KEY = {
    "in": "header",
    "name": "Idempotency-Key",
    "schema": {"type": "string", "maxLength": 255},
    "description": "Machine clients: a replay of the same request with the same key returns the first response.",
}

# Administrative codes of units and procedures (``H44.07``, ``1.012756``): letters, digits, dots, dashes.
ADMIN_CODE = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$"
# Receipt codes come from other systems too, so any text a path segment can carry (no ``/``).
RECEIPT_CODE = r"^[^/]{1,64}$"
# Which pattern a path parameter has, by the collection it follows in the path: ``/units/{code}/``.
PATH_PATTERNS = {
    ("units", "code"): ADMIN_CODE,
    ("procedures", "code"): ADMIN_CODE,
    ("dossiers", "code"): RECEIPT_CODE,
    ("petitions", "code"): RECEIPT_CODE,
    ("clients", "name"): r"^[-a-zA-Z0-9_]{1,64}$",
    ("keys", "prefix"): r"^[0-9a-f]{12}$",
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema class with this API's rules (see the module docstring)."""

    def error_statuses(self, operation: dict[str, Any]) -> list[int]:
        """The error statuses this operation can answer, whatever the view.

        Any request may be malformed (400), be throttled (429) or meet an unavailable database (503);
        one that needs credentials may carry bad or none (401) or lack the role, scope or unit (403).
        A key in the path may name nothing visible, and a page number may be past the end (404). A
        write may conflict with the current state or an in-flight idempotent replay (409) and be too
        large (413); a write with a body may use a media type no parser reads (415). A POST may carry
        an Idempotency-Key already used for another request (422).
        """
        statuses = [400, 429, 503]
        if any(requirement for requirement in operation.get("security", [])):
            statuses += [401, 403]  # it reads credentials (an operation open to all has only ``{}``)
        parameters = {(p["in"], p["name"]) for p in operation.get("parameters", [])}
        if any(where == "path" for where, _ in parameters) or any(
            where == "query" and name in PAGE_PARAMETERS for where, name in parameters
        ):
            statuses.append(404)
        if self.method in UNSAFE_METHODS:
            statuses += [409, 413]
            if "requestBody" in operation:
                statuses.append(415)
        if self.method == "POST":
            statuses.append(422)
        return sorted(statuses)

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        self._add_path_patterns(operation)
        if self.method == "POST" and not any(
            p["name"] == IDEMPOTENCY_KEY["name"] for p in operation.get("parameters", [])
        ):
            operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_KEY))
        responses = operation["responses"]
        for status in self.error_statuses(operation):
            # A view's own declaration of a status (a precise description, another body) wins.
            responses.setdefault(str(status), {"description": ERROR_DESCRIPTIONS[status]})
        for status, response in responses.items():
            if status >= "400":
                if not response.get("description") and int(status) in ERROR_DESCRIPTIONS:
                    response["description"] = ERROR_DESCRIPTIONS[int(status)]
                self._complete_error_response(int(status), response)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _complete_error_response(self, status: int, response: dict[str, Any]) -> None:
        """Any error status may be answered in the one error format, by a middleware before the view
        runs if not by the view; 429 and 503 say when to retry."""
        error_body = self.resolve_serializer(ErrorOut, "response").ref
        declared = response.setdefault("content", {}).setdefault("application/json", {})
        body = declared.get("schema")
        if body is None:
            declared["schema"] = error_body
        elif body != error_body:
            declared["schema"] = {"anyOf": [body, error_body]}
        if status in (429, 503):
            response.setdefault("headers", {}).setdefault("Retry-After", RETRY_AFTER)

    def _add_path_patterns(self, operation: dict[str, Any]) -> None:
        segments = self.path.strip("/").split("/")
        for parameter in operation.get("parameters", []):
            if parameter["in"] != "path":
                continue
            placeholder = "{" + parameter["name"] + "}"
            if placeholder not in segments or segments.index(placeholder) == 0:
                continue
            collection = segments[segments.index(placeholder) - 1]
            pattern = PATH_PATTERNS.get((collection, parameter["name"]))
            if pattern and parameter["schema"].get("type") == "string":
                parameter["schema"]["pattern"] = pattern

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        column = _model_column(field) if field.read_only else None
        if column is None or "$ref" in schema:
            return schema
        # DRF drops ``allow_blank`` from read-only model fields, so their blank choice must come back here.
        if column.blank and "enum" in schema and "" not in schema["enum"] and schema.get("type") == "string":
            schema["enum"] = [*schema["enum"], ""]
        if column.null and "enum" in schema and None not in schema["enum"]:
            schema["enum"] = [*schema["enum"], None]
        elif column.null and "enum" not in schema:
            schema["nullable"] = True
        return schema


def _model_column(field: serializers.Field) -> models.Field | None:
    """The model column a field of a ModelSerializer reads directly (``source`` without dots), if any."""
    parent = getattr(field, "parent", None)
    model = getattr(getattr(parent, "Meta", None), "model", None)
    if model is None or not isinstance(parent, serializers.ModelSerializer) or "." in (field.source or ""):
        return None
    try:
        column = model._meta.get_field(field.source)
    except FieldDoesNotExist:
        return None
    return column if isinstance(column, models.Field) else None
