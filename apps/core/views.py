"""JSON answers for errors raised outside DRF views (unknown URLs, crashes), in the API's format."""

from django.http import HttpRequest, JsonResponse

from apps.core.api.errors import error_body
from apps.core.errors import ErrorCode


def not_found(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body(ErrorCode.NOT_FOUND, "No such resource."), status=404)


def server_error(request: HttpRequest) -> JsonResponse:
    return JsonResponse(error_body(ErrorCode.SERVER_ERROR, "Internal error; it has been logged."), status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> JsonResponse:
    return JsonResponse(error_body(ErrorCode.VALIDATION_ERROR, "Bad request."), status=400)
