"""Pagination with bounded page sizes.

Dossier lists use a cursor: an exact COUNT(*) over millions of scoped rows costs more than the page
itself, and a cursor stays stable while new dossiers arrive. Small reference lists (units, procedures)
use numbered pages.

A cursor comes back from the client, so it is input like any other: DRF decodes it but passes the
position inside straight into a filter, where a tampered value fails in the database (a 500). Here a
cursor that does not decode, or whose position is not a value of the ordering field, answers 400
``invalid_cursor`` on ``cursor``.
"""

from __future__ import annotations

from base64 import b64decode
from urllib import parse

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework.pagination import Cursor, CursorPagination, PageNumberPagination

from apps.core.api.dates import instant_problem
from apps.core.errors import DomainError, ErrorCode


class BoundedPageNumberPagination(PageNumberPagination):
    page_size_query_param = "page_size"

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE


def invalid_cursor(reason: str) -> DomainError:
    return DomainError(
        ErrorCode.INVALID_CURSOR, f"The cursor is not one this API issued ({reason}).", field="cursor"
    )


class CheckedCursorPagination(CursorPagination):
    """Cursor pagination whose cursor is validated against the ordering field before any query."""

    page_size_query_param = "page_size"
    _model = None

    @property
    def max_page_size(self) -> int:  # type: ignore[override]
        return settings.API_MAX_PAGE_SIZE

    def paginate_queryset(self, queryset: QuerySet, request, view=None):
        self._model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request) -> Cursor | None:
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None
        try:
            text = b64decode(encoded.encode("ascii"), validate=True).decode("ascii")
            tokens = parse.parse_qs(text, keep_blank_values=True, strict_parsing=bool(text))
            offset = int(tokens.get("o", ["0"])[0])
            reverse = tokens.get("r", ["0"])[0]
            position = tokens.get("p", [None])[0]
        except (TypeError, ValueError, UnicodeError):
            raise invalid_cursor("it does not decode") from None
        if not 0 <= offset <= self.offset_cutoff or reverse not in ("0", "1"):
            raise invalid_cursor("offset or direction out of range")
        if position is not None:
            position = self._checked_position(position)
        return Cursor(offset=offset, reverse=reverse == "1", position=position)

    def _checked_position(self, position: str) -> str | None:
        if "\x00" in position:
            raise invalid_cursor("it holds a NUL character")
        if position == "None":
            # DRF writes a NULL ordering value as "None". NULLs sort first in a descending PostgreSQL
            # order, so that run starts the list: no position filter, the offset counts from the start.
            return None
        if self._model is None:
            return position
        field = self._model._meta.get_field(self.ordering[0].lstrip("-"))
        try:
            value = field.to_python(position)
        except DjangoValidationError:
            raise invalid_cursor("its position is not a value of the ordering") from None
        if value is None:
            raise invalid_cursor("its position is empty")
        if field.get_internal_type() == "DateTimeField" and instant_problem(value):
            raise invalid_cursor("its position is out of range")
        return position


class DossierCursorPagination(CheckedCursorPagination):
    ordering = ("-received_at", "-id")
