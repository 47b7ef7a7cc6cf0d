"""Refuse oversized bodies before anything reads them, with the API's error format."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from apps.core.api.errors import error_body
from apps.core.errors import ErrorCode


class BodySizeLimitMiddleware:
    """Answer 413 when Content-Length exceeds ``API_MAX_BODY_BYTES``.

    Django's own check raises ``RequestDataTooBig`` only when the body is read, and turns it into a
    400; clients need a 413 with a code they can act on (split the batch), so it is checked up front.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        length = request.META.get("CONTENT_LENGTH") or "0"
        limit = settings.API_MAX_BODY_BYTES
        try:
            too_big = int(length) > limit
        except ValueError:
            too_big = False
        if too_big:
            body = error_body(
                ErrorCode.PAYLOAD_TOO_LARGE,
                f"The request body is {length} bytes; the limit is {limit} bytes.",
            )
            return JsonResponse(body, status=413)
        return self.get_response(request)
