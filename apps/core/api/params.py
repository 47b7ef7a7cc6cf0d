"""Query parameters an endpoint does not know answer 400, listing the ones it knows.

Without this a typo (``?stauts=2``), a parameter of another API (``?q=``) or an ordering the endpoint
does not offer returns the whole unfiltered list, which a client cannot tell from a real answer.

Every list goes through one of two doors:

- :class:`StrictFilterBackend`, the project's default filter backend: the filterset's parameters, the
  paginator's (``cursor``/``page``/``page_size``), and the view's ``extra_query_params``;
- :func:`check_known_params`, for views that read their parameters themselves (statistics queries,
  integration lists).

Parameters every endpoint accepts (``lang`` for the language, ``format`` for DRF's renderer choice)
are always known.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend

from apps.core.errors import DomainError, ErrorCode

#: Known everywhere: the response language (apps/core/i18n.py) and DRF's format override.
GLOBAL_PARAMS = frozenset({"lang", "format"})


class UnknownParameters(DomainError):
    """400 ``unknown_parameter``: one error per unknown parameter, each naming it; the message lists
    the known ones."""

    def __init__(self, unknown: list[str], known: Iterable[str]) -> None:
        listed = ", ".join(sorted(set(known) | GLOBAL_PARAMS))
        message = _("Unknown query parameter(s): %(unknown)s. Known: %(known)s.") % {
            "unknown": ", ".join(unknown),
            "known": listed,
        }
        super().__init__(ErrorCode.UNKNOWN_PARAMETER, message, field=unknown[0])
        self.errors = [
            {
                "field": name,
                "code": str(ErrorCode.UNKNOWN_PARAMETER),
                "message": _("Unknown query parameter %(name)s. Known: %(known)s.")
                % {"name": name, "known": listed},
            }
            for name in unknown
        ]


def check_known_params(request, known: Iterable[str]) -> None:
    """Raise :class:`UnknownParameters` when the request's query string names a parameter not in ``known``."""
    known = set(known)
    unknown = sorted(set(request.query_params) - known - GLOBAL_PARAMS)
    if unknown:
        raise UnknownParameters(unknown, known)


def paginator_params(view) -> set[str]:
    """The query parameters of the view's paginator (none when the view or action does not paginate)."""
    paginator = getattr(view, "paginator", None)
    if paginator is None:
        return set()
    names = (
        getattr(paginator, attr, None)
        for attr in ("cursor_query_param", "page_query_param", "page_size_query_param")
    )
    return {name for name in names if name}


def view_params(view) -> set[str]:
    """Parameters a view reads itself besides its filterset (``extra_query_params``)."""
    extra = getattr(view, "extra_query_params", ())
    return set(extra() if callable(extra) else extra)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter's backend, refusing query parameters that neither it nor the view knows."""

    def filter_queryset(self, request, queryset, view):
        known = paginator_params(view) | view_params(view)
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            known |= set(filterset_class.base_filters)
        check_known_params(request, known)
        return super().filter_queryset(request, queryset, view)
