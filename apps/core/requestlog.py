"""Request ids and the structured log line of a failed request.

Every request gets an id (the caller's ``X-Request-ID`` when it is sane, else a fresh one). It is
returned in the ``X-Request-ID`` header and in 5xx error bodies, and stamped on every log record
written while the request runs, so a user's report ("request_id …") leads an operator to the traceback
with one grep. Lines are ``key=value`` with quoted values where they could hold spaces.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import uuid

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.functional import SimpleLazyObject, empty

HEADER = "X-Request-ID"
META_KEY = "HTTP_X_REQUEST_ID"
# Ids from a proxy or a client are kept when they look like ids (UUIDs, hex, trace ids); anything else
# (too long, spaces, quotes, control characters) could forge or break log lines, and is replaced.
_SANE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")

_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
logger = logging.getLogger("casetracker.request")

#: Exceptions that mean "the database cannot be reached now": answered 503, retryable.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)


def request_id_for(request: HttpRequest) -> str:
    incoming = request.META.get(META_KEY, "")
    if _SANE.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def current_request_id() -> str | None:
    """The id of the request this thread is serving (None outside a request: tasks, commands)."""
    return _current.get()


def bind(request_id: str) -> contextvars.Token:
    return _current.set(request_id)


def unbind(token: contextvars.Token) -> None:
    _current.reset(token)


def remember_exception(request: HttpRequest, exc: BaseException) -> None:
    """Keep the exception behind a 5xx on the request, for the log line the middleware writes."""
    request._casetracker_exception = exc


def log_failed_request(request: HttpRequest, response: HttpResponse, duration_ms: float) -> None:
    """One ERROR line per 5xx answer: what was asked, by whom, what came back and why."""
    exc = getattr(request, "_casetracker_exception", None)
    fields = {
        "event": "request_failed",
        "method": request.method,
        "path": json.dumps(request.path),
        "status": response.status_code,
        "duration_ms": round(duration_ms),
        "user": _username(request),
        "error": type(exc).__name__ if exc is not None else "-",
        "detail": json.dumps(str(exc).strip()[:300]) if exc is not None else "-",
    }
    # The id goes on the record (the log format prints it after the level, as on every other line).
    logger.error(" ".join(f"{k}={v}" for k, v in fields.items()), extra={"request_id": current_request_id()})
    response._has_been_logged = True  # Django would add an id-less "Service Unavailable: /path" line


def _username(request: HttpRequest) -> str:
    """Who asked, if that is already known: never a query (the database may be what failed)."""
    user = getattr(request, "user", None)
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return "-"
    return json.dumps(user.get_username()) if user.is_authenticated else "-"


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` to every record (``-`` outside a request) for the log format to print."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id() or "-"
        return True
