"""JSON answers for errors raised outside DRF views (unknown URLs, crashes), in the API's format."""

import sys

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext

from apps.core.api.errors import error_body, server_error_body, service_unavailable
from apps.core.errors import ErrorCode
from apps.core.requestlog import DATABASE_UNAVAILABLE, remember_exception


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body(ErrorCode.NOT_FOUND, gettext("No such resource.")), status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    """Django's 500 handler, called inside the ``except`` of whatever failed (a view or a middleware).

    A database that cannot be reached is not a bug: 503 with ``Retry-After``, so clients retry.
    """
    exc = sys.exc_info()[1]
    if exc is not None:
        remember_exception(request, exc)
    if isinstance(exc, DATABASE_UNAVAILABLE):
        body, headers = service_unavailable()
        response = JsonResponse(body, status=503, headers=headers)
        response._has_been_logged = True  # an outage, not a bug: RequestIdMiddleware's line, no traceback
        return response
    body = server_error_body(
        ErrorCode.SERVER_ERROR, gettext("Internal error; it has been logged with this request_id.")
    )
    return JsonResponse(body, status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body(ErrorCode.VALIDATION_ERROR, gettext("Bad request.")), status=400)
