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
from django.utils.translation import gettext
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
        ErrorCode.INVALID_CURSOR,
        gettext("The cursor is not one this API issued (%(reason)s).") % {"reason": reason},
        field="cursor",
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


_MAX_ID = 2**63 - 1  # the largest value a database integer column holds


class KeysetCursorPagination(CheckedCursorPagination):
    """A cursor over ``(field, id)`` for a client-chosen ordering (``?ordering=status``, ``-due_at``…).

    DRF's cursor keeps only the first ordering field and counts an offset among equal values, which
    breaks past ``offset_cutoff`` equal rows (thousands of dossiers share a status). Here the position
    is the pair ``value|id``, unique, so every page is one indexed range query whatever the ties. Empty
    values (a dossier without a due date) come last in either direction, unless ``nulls_largest``: then
    they sort as the largest value (first when descending, last when ascending). Either way the order is
    written out with ``NULLS FIRST``/``NULLS LAST``, so SQLite (where NULL is the smallest value) and
    PostgreSQL (the largest) page alike, and the position filter follows the same placement, so no row
    is skipped or repeated at the boundary between empty and non-empty values. ``orderings`` maps the
    public names to model fields; the view passes the chosen one as ``key``.
    """

    orderings: dict[str, str] = {}
    default_key = ""
    nulls_largest = False

    def __init__(self, key: str | None = None) -> None:
        self.key = key or self.default_key
        descending = self.key.startswith("-")
        self.field = self.orderings[self.key.lstrip("-")]
        self.descending = descending
        sign = "-" if descending else ""
        self.ordering = (f"{sign}{self.field}", f"{sign}id")

    def _nulls_first(self, reverse: bool) -> bool:
        """Whether empty values come first in the direction this request reads the list."""
        if self.nulls_largest:
            return self.descending != reverse
        return reverse

    def _order(self, reverse: bool):
        from django.db.models import F

        descending = self.descending != reverse
        nulls = {"nulls_first": True} if self._nulls_first(reverse) else {"nulls_last": True}
        field, pk = F(self.field), F("id")
        if descending:
            return field.desc(**nulls), pk.desc()
        return field.asc(**nulls), pk.asc()

    def _after(self, value, pk: int, reverse: bool):
        """The rows after position ``(value, pk)`` in the order :meth:`_order` reads."""
        from django.db.models import Q

        forward_desc = self.descending != reverse
        cmp = "lt" if forward_desc else "gt"
        f = self.field
        nulls_first = self._nulls_first(reverse)
        if value is None:
            after_empty = Q(**{f"{f}__isnull": True, f"id__{cmp}": pk})
            return after_empty | Q(**{f"{f}__isnull": False}) if nulls_first else after_empty
        after_value = Q(**{f"{f}__{cmp}": value}) | Q(**{f: value, f"id__{cmp}": pk})
        return after_value if nulls_first else after_value | Q(**{f"{f}__isnull": True})

    def _split(self, position: str) -> tuple[object, int]:
        value, _sep, pk = position.rpartition("|")
        if not (pk.isascii() and pk.isdigit()) or int(pk) > _MAX_ID or not value or value[0] not in "nv":
            raise invalid_cursor("its position is not a value of the ordering")
        if value == "n":
            return None, int(pk)
        field = self._model._meta.get_field(self.field) if self._model is not None else None
        raw = value[1:]
        if field is None:
            return raw, int(pk)
        try:
            parsed = field.to_python(raw)
        except DjangoValidationError:
            raise invalid_cursor("its position is not a value of the ordering") from None
        if parsed is None or (field.get_internal_type() == "DateTimeField" and instant_problem(parsed)):
            raise invalid_cursor("its position is out of range")
        if isinstance(parsed, int) and not -_MAX_ID <= parsed <= _MAX_ID:
            raise invalid_cursor("its position is out of range")
        return parsed, int(pk)

    def _checked_position(self, position: str) -> str | None:
        if "\x00" in position:
            raise invalid_cursor("it holds a NUL character")
        return position  # checked by _split once the model is known

    def _get_position_from_instance(self, instance, ordering) -> str:
        value = getattr(instance, self.field)
        encoded = "n" if value is None else f"v{value.isoformat() if hasattr(value, 'isoformat') else value}"
        return f"{encoded}|{instance.pk}"

    def paginate_queryset(self, queryset: QuerySet, request, view=None):
        self._model = queryset.model
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.base_url = request.build_absolute_uri()
        self.cursor = self.decode_cursor(request)
        offset, reverse, current = self.cursor if self.cursor is not None else (0, False, None)
        queryset = queryset.order_by(*self._order(reverse))
        if current is not None:
            value, pk = self._split(current)
            queryset = queryset.filter(self._after(value, pk, reverse))
        results = list(queryset[offset : offset + self.page_size + 1])
        self.page = results[: self.page_size]
        following = (
            self._get_position_from_instance(results[-1], self.ordering)
            if len(results) > len(self.page)
            else None
        )
        if reverse:
            self.page = list(reversed(self.page))
            self.has_next = current is not None or offset > 0
            self.has_previous = following is not None
            self.next_position, self.previous_position = current, following
        else:
            self.has_next = following is not None
            self.has_previous = current is not None or offset > 0
            self.next_position, self.previous_position = following, current
        if (self.has_previous or self.has_next) and self.template is not None:
            self.display_page_controls = True
        return self.page


class DossierOrderingPagination(KeysetCursorPagination):
    """Dossier lists ordered by due date, receipt time or status (``-`` for descending)."""

    orderings = {"due_at": "effective_due_at", "received_at": "received_at", "status": "status"}
    default_key = "-received_at"


class DossierCursorPagination(KeysetCursorPagination):
    """The default order of dossier (and petition) lists: newest receipt first.

    Dossiers without a receipt time (online registrations not yet accepted) sort as the newest, at the
    top: where PostgreSQL puts NULL in a descending order and where its ``-received_at`` indexes hold
    them, so that order is read from the index; SQLite is told the same, so both engines list every
    dossier exactly once. (DRF's offset cursor lost those rows after page 1 on SQLite, and on
    PostgreSQL broke once more than ``offset_cutoff`` of them were waiting.)
    """

    orderings = {"received_at": "received_at"}
    default_key = "-received_at"
    nulls_largest = True
