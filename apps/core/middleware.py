"""Refuse oversized bodies and NUL characters before anything reads them, with the API's error format
(the console's own 400 page for its pages); give every request an id and log the ones that fail."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from apps.core import requestlog
from apps.core.api.errors import error_body, service_unavailable
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
                _("The request body is %(length)s bytes; the limit is %(limit)s bytes.")
                % {"length": length, "limit": limit},
            )
            return JsonResponse(body, status=413)
        return self.get_response(request)


#: Where the web console's HTML pages live (apps/console/urls.py, the exports' pages under /console/):
#: there a refusal is a page in the console's style, elsewhere (the API, the admin) the API's JSON.
CONSOLE_PREFIXES = ("/console/", "/signin/", "/signout/", "/i18n/")


def is_console_path(path: str) -> bool:
    """Whether ``path`` is one of the web console's pages (its start page ``/`` included)."""
    return path == "/" or path.startswith(CONSOLE_PREFIXES)


class NulCharacterMiddleware:
    """Answer 400 ``nul_character`` when the path, a query parameter or a header holds a NUL (``%00``).

    PostgreSQL refuses NUL in text, so a code such as ``/dossiers/%00/`` or ``?unit=%00`` would otherwise
    reach a query and fail there with a 500. Checking the decoded request once, before any view, covers
    every endpoint and every parameter; the error names the parameter at fault.

    A console page answers the console's own 400 page instead (Vietnamese, or English with ``?lang=en``),
    since a person reads it in a browser. A NUL in its address or query string is answered just before
    the view (``process_view``), once the session and the user are read, so the page keeps its header;
    the session and user middleware read only headers, never the path or query. A NUL in a header, or
    in a path that names no page, is answered here at once, before the session is read, as signed out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        field = _nul_field(request)
        if field is None:
            return self.get_response(request)
        if is_console_path(request.path_info):
            if _nul_header(request) is None and _resolves(request.path_info):
                request.nul_refused = True  # answered by process_view, before the view reads anything
                return self.get_response(request)
            return _console_refusal(request)
        code, message = ErrorCode.NUL_CHARACTER, _nul_message()
        body = error_body(code, message, [{"field": field, "code": code.value, "message": message}])
        return JsonResponse(body, status=400)

    def process_view(
        self, request: HttpRequest, view: Callable, args: tuple, kwargs: dict
    ) -> HttpResponse | None:
        if getattr(request, "nul_refused", False):
            return _console_refusal(request)
        return None


def _nul_message() -> str:
    return _("The request may not contain the NUL character (%00).")


def _console_refusal(request: HttpRequest) -> HttpResponse:
    """The console's 400 page (apps/console/views.bad_request); its language switch returns to the
    start page, since the refused address would only be refused again."""
    from django.contrib.auth.models import AnonymousUser
    from django.urls import reverse

    from apps.console.views import bad_request  # the console's page helper; imported late: core is below it

    if not hasattr(request, "user"):
        request.user = AnonymousUser()  # refused before the session was read
    return bad_request(request, _nul_message(), here=reverse("console-home"))


def _resolves(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


def _nul_field(request: HttpRequest) -> str | None:
    """The name of the first part of the request holding a NUL: a URL parameter, query key or header."""
    if "\x00" in request.path_info:
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return "path"
        return next((name for name, value in match.kwargs.items() if "\x00" in str(value)), "path")
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in value for value in values):
            return key.replace("\x00", "%00")
    return _nul_header(request)


def _nul_header(request: HttpRequest) -> str | None:
    """The name of the first header holding a NUL."""
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
            return key.removeprefix("HTTP_").replace("_", "-").title()
    return None


class RequestIdMiddleware:
    """Give each request an id, return it in ``X-Request-ID`` and log every 5xx answer with it.

    It sits outermost, so it sees the final answer whatever produced it (a view, another middleware,
    Django's 500 handler). A database that cannot be reached is answered 503 ``service_unavailable``
    with ``Retry-After`` here for non-DRF views (the admin); DRF views get the same from
    :func:`apps.core.api.errors.exception_handler`, middleware code from :func:`apps.core.views.server_error`.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = requestlog.request_id_for(request)
        request.request_id = request_id
        token = requestlog.bind(request_id)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            response[requestlog.HEADER] = request_id
            if response.status_code >= 500:
                requestlog.log_failed_request(request, response, (time.monotonic() - started) * 1000)
            return response
        finally:
            requestlog.unbind(token)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        requestlog.remember_exception(request, exception)
        if isinstance(exception, requestlog.DATABASE_UNAVAILABLE):
            body, headers = service_unavailable()
            return JsonResponse(body, status=503, headers=headers)
        return None
