"""One error format for every API response that is not a success.

    {"code": "validation_error", "message": "...", "errors": [{"field": "procedure", "code": "...", "message": "..."}]}

``code`` is stable and machine-readable; ``errors`` names each field at fault (dotted paths for nested
items, ``null`` for errors about the whole request). ``message`` is for people, in the request's language
(Vietnamese unless ``Accept-Language``/``?lang=`` asks for English); ``code`` never changes with it.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from apps.core.errors import DomainError, ErrorCode
from apps.core.requestlog import DATABASE_UNAVAILABLE, current_request_id, remember_exception

logger = logging.getLogger(__name__)

_CODES_BY_EXCEPTION: list[tuple[type[exceptions.APIException], ErrorCode]] = [
    (exceptions.ParseError, ErrorCode.MALFORMED_JSON),
    (exceptions.UnsupportedMediaType, ErrorCode.UNSUPPORTED_MEDIA_TYPE),
    (exceptions.NotAuthenticated, ErrorCode.NOT_AUTHENTICATED),
    (exceptions.AuthenticationFailed, ErrorCode.AUTHENTICATION_FAILED),
    (exceptions.PermissionDenied, ErrorCode.PERMISSION_DENIED),
    (exceptions.NotFound, ErrorCode.NOT_FOUND),
    (exceptions.MethodNotAllowed, ErrorCode.METHOD_NOT_ALLOWED),
    (exceptions.Throttled, ErrorCode.THROTTLED),
    (exceptions.ValidationError, ErrorCode.VALIDATION_ERROR),
]


def error_body(code: str, message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"code": str(code), "message": message, "errors": errors or []}


#: Seconds a client is asked to wait when the database cannot be reached.
RETRY_AFTER_UNAVAILABLE = 5


def server_error_body(code: str, message: str) -> dict[str, Any]:
    """A 5xx body: the error format plus the request id, which the logs carry too."""
    return {**error_body(code, message), "request_id": current_request_id()}


def service_unavailable() -> tuple[dict[str, Any], dict[str, str]]:
    """Body and headers of the 503 answered while the database is unreachable (retryable, not a bug)."""
    body = server_error_body(
        ErrorCode.SERVICE_UNAVAILABLE,
        _("The service is temporarily unavailable; retry after Retry-After seconds."),
    )
    return body, {"Retry-After": str(RETRY_AFTER_UNAVAILABLE)}


def flatten_validation_detail(detail: Any, prefix: str | None = None) -> list[dict[str, Any]]:
    """Turn DRF's nested error dict/list into a flat list of ``{field, code, message}``."""
    items: list[dict[str, Any]] = []
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = None if key in ("non_field_errors", "__all__") else str(key)
            path = ".".join(p for p in (prefix, name) if p) or None
            items.extend(flatten_validation_detail(value, path))
    elif isinstance(detail, list):
        all_plain = all(isinstance(v, str) for v in detail)
        if all_plain:
            for value in detail:
                items.append(
                    {"field": prefix, "code": getattr(value, "code", "invalid"), "message": str(value)}
                )
        else:
            for index, value in enumerate(detail):
                path = f"{prefix}.{index}" if prefix else str(index)
                items.extend(flatten_validation_detail(value, path))
    else:
        items.append({"field": prefix, "code": getattr(detail, "code", "invalid"), "message": str(detail)})
    return items


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF exception handler producing the one error format; unknown exceptions become a logged 500.

    A database that cannot be reached (also while authenticating) is a 503 with ``Retry-After``.
    """
    if isinstance(exc, DATABASE_UNAVAILABLE):
        request = context.get("request")
        if request is not None:
            remember_exception(request._request, exc)
        with contextlib.suppress(DATABASE_UNAVAILABLE):  # the connection may be gone: nothing to roll back
            set_rollback()
        body, headers = service_unavailable()
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE, headers=headers)
    if isinstance(exc, DomainError):
        set_rollback()
        errors = getattr(exc, "errors", None) or [
            {"field": exc.field, "code": str(exc.code), "message": exc.message}
        ]
        return Response(error_body(exc.code, exc.message, errors), status=exc.status)
    if isinstance(exc, RequestDataTooBig):
        return Response(
            error_body(ErrorCode.PAYLOAD_TOO_LARGE, _("The request body is larger than the limit.")),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    if not isinstance(exc, exceptions.APIException):
        return None

    set_rollback()
    code = next((c for cls, c in _CODES_BY_EXCEPTION if isinstance(exc, cls)), None)
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_validation_detail(exc.detail)
        body = error_body(ErrorCode.VALIDATION_ERROR, _("The request has invalid fields."), errors)
    else:
        message = str(exc.detail) if not isinstance(exc.detail, (dict, list)) else exc.default_detail
        body = error_body(code or exc.default_code, str(message))
        if isinstance(exc, exceptions.ParseError):
            body["message"] = _("The request body could not be parsed: %(reason)s") % {"reason": message}
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))
    return Response(body, status=exc.status_code, headers=headers)
